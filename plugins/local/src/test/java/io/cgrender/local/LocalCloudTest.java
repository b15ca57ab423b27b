package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.BoxLifetime;
import io.cgrender.core.claim.Holder;
import io.cgrender.core.claim.Lease;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.Eventually;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAccess;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.config.Settings;
import io.cgrender.core.job.JobProcess;
import io.cgrender.core.os.MachineId;
import io.cgrender.core.os.ProcessIdentity;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.SshConnector;
import io.cgrender.core.ssh.SshTarget;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Progress;
import io.cgrender.local.host.BoxDir;
import io.cgrender.local.host.BoxProcesses;
import io.cgrender.local.host.BoxState;
import io.cgrender.local.host.FileTrees;
import io.cgrender.local.host.StateFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What only the local cloud does: detached host processes that watch themselves, and the box's view of home. */
class LocalCloudTest {

    private static final Duration SHORT_IDLE = Duration.ofSeconds(2);
    private static final Duration LONG = Duration.ofHours(1);

    @TempDir
    Path temp;
    private LocalBoxes boxes;
    private final List<Process> helpers = new ArrayList<>();

    @BeforeEach
    void openCloud() {
        boxes = new LocalBoxes(temp);
    }

    @AfterEach
    void terminateEverything() {
        helpers.forEach(Process::destroyForcibly);
        boxes.close();
    }

    @Test
    void boxOutlivesTheJvmThatLaunchedIt() throws Exception {
        Process launcher = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LaunchInAnotherJvm.class.getName(), temp.toString(),
                KeyFiles.publicKeyFile(boxes.key.privateKeyFile()).toString())
                .redirectErrorStream(true)
                .start();
        helpers.add(launcher);
        assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launching JVM did not exit");
        String output = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, launcher.exitValue(), output);
        String id = output.lines().reduce((a, b) -> b).orElseThrow();
        boxes.adopt(id);
        assertTrue(BoxDir.ID.matcher(id).matches(), output);

        Machine machine = boxes.cloud.awaitRunning(id, LocalBoxes.RUNNING, Progress.NONE);
        assertEquals(MachineState.RUNNING, machine.state());
        assertFalse(launcher.isAlive());
        ProcessHandle host = boxes.host(id);
        assertNotEquals(launcher.pid(), host.parent().map(ProcessHandle::pid).orElse(-1L),
                "the host must not be a child of the launching JVM any more");
        ExecResult result = boxes.ssh(machine, "echo still here");
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("still here\n", result.stdout());
    }

    @Test
    void theLoginUserIsTheUserCommandsReallyRunAs() throws Exception {
        Machine machine = boxes.launchRunning();
        String user = System.getProperty("user.name");

        assertEquals(user, machine.tags().get(Tags.LOGIN_USER), "the role asked for ubuntu; the box runs as " + user);
        assertEquals(user, boxes.cloud.accessFor(machine).endpoint().user());
        assertEquals(user, boxes.ssh(machine, "id -un").stdout().strip());
    }

    @Test
    void execRunsInHomeWithHomeAsHome() throws Exception {
        Machine machine = boxes.launchRunning();
        Path home = boxes.box(machine.id()).home();

        ExecResult result = boxes.ssh(machine, "echo \"$HOME\"; pwd; echo \"$CGRENDER_BOX\"; echo oops >&2; exit 7");

        assertEquals(7, result.exitCode());
        assertEquals(home + "\n" + home + "\n" + machine.id() + "\n", result.stdout());
        assertEquals("oops\n", result.stderr());
    }

    @Test
    void shellWithoutCommandRunsALoginShellAndPtyRequestsGetATerminal() throws Exception {
        Machine machine = boxes.launchRunning();
        Path home = boxes.box(machine.id()).home();

        ExecResult shell = boxes.ssh(machine, List.of("-T"), null, "echo \"shell $0\"; pwd; exit 4\n");
        assertEquals(4, shell.exitCode(), shell.stderr());
        assertEquals("shell bash\n" + home + "\n", shell.stdout());

        ExecResult pty = boxes.ssh(machine, List.of("-tt"), "tty; exit 5", null);
        assertEquals(5, pty.exitCode(), pty.stderr());
        assertTrue(pty.stdout().startsWith("/dev/pts/"), "a pty was requested: " + pty.stdout());
    }

    @Test
    void aCommandTheClientGivesUpOnIsEndedOnTheBox() {
        Machine machine = boxes.launchRunning();
        MachineAccess access = boxes.cloud.accessFor(machine);
        try (SshConnector connector = new MinaSshConnector(boxes.knownHosts)) {
            RemoteHost host = connector.connect(new SshTarget(machine.id(), access.endpoint(), boxes.key.keyPair(),
                    () -> access.hostKeys().trustedFingerprints(machine, LocalBoxes.GONE, Progress.NONE)),
                    LocalBoxes.GONE, Progress.NONE);
            assertEquals("ok\n", host.exec("echo ok", LocalBoxes.GONE).stdout());

            assertThrows(CgrenderException.class, () -> host.exec("sleep 300", Duration.ofSeconds(1)));

            Eventually.await(LocalBoxes.GONE, "the timed-out command no longer runs on the box",
                    () -> BoxProcesses.of(machine.id()).isEmpty());
            assertEquals("still usable\n", host.exec("echo still usable", LocalBoxes.GONE).stdout());
        }
    }

    @Test
    void sftpRelativePathsLandInHome() throws Exception {
        Machine machine = boxes.launchRunning();
        Path home = boxes.box(machine.id()).home();
        Path local = Files.writeString(temp.resolve("model.scad"), "cube(1);");

        ExecResult result = boxes.sftp(machine, "pwd\nmkdir work\nput " + local + " work/model.scad\n");

        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("Remote working directory: " + home), result.stdout());
        assertEquals("cube(1);", Files.readString(home.resolve("work/model.scad")));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(home.resolve("work"))), "mkdir applies the umask, as OpenSSH does");
    }

    @Test
    void idleBoxTerminatesItself() {
        Machine machine = boxes.launchRunning(SHORT_IDLE, LONG);
        ProcessHandle host = boxes.host(machine.id());

        Eventually.await(LocalBoxes.GONE, machine.id() + " terminates itself when idle",
                () -> boxes.cloud.find(machine.id()).isEmpty() && !Files.exists(boxes.box(machine.id()).root()));
        Eventually.await(LocalBoxes.GONE, "the host process exits", () -> !ProcessIdentity.isRunning(host.pid()));
    }

    @Test
    void runningJobHoldsOffTheIdleWatchdog() throws Exception {
        Machine machine = boxes.launchRunning(SHORT_IDLE, LONG);
        ProcessHandle job = startJobOnTheBox(machine, "job-1");

        Eventually.holdsFor(SHORT_IDLE.multipliedBy(2), "the box keeps running while its job runs",
                () -> boxes.cloud.find(machine.id()).map(Machine::state).orElse(null) == MachineState.RUNNING);

        job.destroy();
        Eventually.await(LocalBoxes.GONE, machine.id() + " terminates itself once the job ended",
                () -> boxes.cloud.find(machine.id()).isEmpty());
    }

    @Test
    void theBoxReportsItsIdleTimerInItsTags() throws Exception {
        Duration idle = Duration.ofMinutes(30);
        Machine machine = boxes.launchRunning(idle, LONG);
        assertEquals("PT30M", machine.tags().get(Tags.IDLE_TIMEOUT));
        Instant firstIdle = Eventually.value(LocalBoxes.GONE, machine.id() + " reports since when it is idle", () -> lifetime(
                machine).filter(l -> l.idle() == BoxLifetime.Idle.IDLE).flatMap(BoxLifetime::idleSince));
        BoxLifetime idleBox = lifetime(machine).orElseThrow();
        assertEquals(new BoxLifetime.Ending(firstIdle.plus(idle), BoxLifetime.Limit.IDLE_TIMEOUT),
                idleBox.next().orElseThrow());

        ProcessHandle job = startJobOnTheBox(machine, "job-1");
        Eventually.value(LocalBoxes.GONE, machine.id() + " reports that a job keeps it busy", () -> lifetime(machine)
                .filter(l -> l.idle() == BoxLifetime.Idle.BUSY));
        assertEquals(Optional.of(new BoxLifetime.Ending(Instant.parse(machine.tags().get(Tags.EXPIRES_AT)),
                BoxLifetime.Limit.MAX_LIFETIME)), lifetime(machine).orElseThrow().next(), "busy: only its expiry");

        job.destroy();
        Instant idleAgain = Eventually.value(LocalBoxes.GONE, machine.id() + " reports being idle again once the job ended",
                () -> lifetime(machine).filter(l -> l.idle() == BoxLifetime.Idle.IDLE)
                        .flatMap(BoxLifetime::idleSince));
        assertTrue(idleAgain.isAfter(firstIdle), idleAgain + " after " + firstIdle);
    }

    private Optional<BoxLifetime> lifetime(Machine machine) {
        return boxes.cloud.find(machine.id()).map(BoxLifetime::of);
    }

    @Test
    void aPidFileNamingNoJobOfTheBoxDoesNotHoldOffTheIdleWatchdog() throws Exception {
        Process stranger = new ProcessBuilder("sleep", "300").start();
        helpers.add(stranger);
        String strangerStart = JobProcess.startTime(stranger.pid()).orElseThrow();
        Machine machine = boxes.launchRunning(SHORT_IDLE, LONG);
        Path jobs = boxes.box(machine.id()).jobsDir();
        Map<String, String> records = Map.of(
                "minus-one", "-1\n",
                "garbage", "not a pid\n",
                "init-without-start-time", "1\n",
                "stranger-without-start-time", stranger.pid() + "\n",
                // a live process with its true start time, but not one the box started
                "stranger", stranger.pid() + " " + strangerStart + "\n");
        for (Map.Entry<String, String> record : records.entrySet()) {
            Files.writeString(Files.createDirectories(jobs.resolve(record.getKey())).resolve(JobProcess.PID_FILE),
                    record.getValue());
        }

        Eventually.await(LocalBoxes.GONE, machine.id() + " terminates itself when idle: no job runs on it",
                () -> boxes.cloud.find(machine.id()).isEmpty());
        assertTrue(stranger.isAlive(), "the process named by a pid file is left alone");
    }

    @Test
    void aConnectionThatNeverLogsInDoesNotHoldOffTheIdleWatchdog() throws Exception {
        Machine machine = boxes.launchRunning(SHORT_IDLE, LONG);
        int port = boxes.cloud.accessFor(machine).endpoint().port();
        try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            String banner = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            assertTrue(banner != null && banner.startsWith("SSH-2.0-"), "the box host answered: " + banner);

            // Well within the server's authentication timeout (2 min): the connection stays open meanwhile.
            Eventually.await(LocalBoxes.GONE, machine.id() + " terminates itself when idle: nobody logged in",
                    () -> boxes.cloud.find(machine.id()).isEmpty());
        }
    }

    /**
     * A detached process started on the box through SSH, recording itself in {@code .cgrender/jobs/NAME/pid} as run.sh
     * does (pid and start time).
     */
    private ProcessHandle startJobOnTheBox(Machine machine, String name) throws Exception {
        String pidFile = ".cgrender/jobs/" + name + "/pid";
        ExecResult started = boxes.ssh(machine, "mkdir -p .cgrender/jobs/" + name + " && "
                + "{ setsid nohup sleep 300 > /dev/null 2>&1 < /dev/null & p=$!; read -r s < /proc/$p/stat; "
                + "set -- ${s##*) }; echo \"$p ${20}\" > " + pidFile + "; }");
        assertEquals(0, started.exitCode(), started.stderr());
        long pid = Long.parseLong(Files.readString(boxes.box(machine.id()).home().resolve(pidFile)).split(" ")[0]);
        ProcessHandle job = ProcessHandle.of(pid).orElseThrow();
        assertTrue(JobProcess.isAlive(boxes.box(machine.id()).home().resolve(pidFile)), "recorded as run.sh does");
        return job;
    }

    @Test
    void aJobPidReusedByAnotherProcessDoesNotHoldOffTheIdleWatchdog() throws Exception {
        Process stranger = new ProcessBuilder("sleep", "300").start();
        helpers.add(stranger);
        String startTime = JobProcess.startTime(stranger.pid()).orElseThrow();
        Machine machine = boxes.launchRunning(SHORT_IDLE, LONG);
        Path jobDir = Files.createDirectories(boxes.box(machine.id()).jobsDir().resolve("job-1"));
        // The job's record names a live process, but one that started at another time than the job.
        Files.writeString(jobDir.resolve("pid"), stranger.pid() + " " + (Long.parseLong(startTime) + 1) + "\n");

        Eventually.await(LocalBoxes.GONE, machine.id() + " terminates itself when idle: its job is gone",
                () -> boxes.cloud.find(machine.id()).isEmpty());
        assertTrue(stranger.isAlive(), "the process that has the pid now is left alone");
    }

    @Test
    void openSessionHoldsOffTheIdleWatchdog() throws Exception {
        Machine machine = boxes.launchRunning(SHORT_IDLE, LONG);
        Process session = new ProcessBuilder(boxes.sshCommand(machine, "sleep 300")).start();
        helpers.add(session);
        Eventually.await(LocalBoxes.GONE, "the session's command runs on the box",
                () -> !BoxProcesses.of(machine.id()).isEmpty());

        Eventually.holdsFor(SHORT_IDLE.multipliedBy(2), "the box keeps running while a session is open",
                () -> boxes.cloud.find(machine.id()).map(Machine::state).orElse(null) == MachineState.RUNNING);

        session.destroy();
        Eventually.await(LocalBoxes.GONE, "the command ends when its channel closes",
                () -> BoxProcesses.of(machine.id()).isEmpty());
        Eventually.await(LocalBoxes.GONE, machine.id() + " terminates itself once the session closed",
                () -> boxes.cloud.find(machine.id()).isEmpty());
    }

    @Test
    void maxLifetimeEndsABusyBoxAndItsProcesses() throws Exception {
        Machine machine = boxes.launchRunning(LONG, Duration.ofSeconds(4));
        ExecResult started = boxes.ssh(machine, "mkdir -p .cgrender/jobs/j; "
                + "setsid nohup sleep 300 >/dev/null 2>&1 < /dev/null & echo $! > .cgrender/jobs/j/pid");
        assertEquals(0, started.exitCode(), started.stderr());
        List<ProcessHandle> jobs = BoxProcesses.of(machine.id());
        assertEquals(1, jobs.size(), "the detached job runs on the box");

        Eventually.await(LocalBoxes.GONE, machine.id() + " terminates itself at its max lifetime",
                () -> boxes.cloud.find(machine.id()).isEmpty() && !Files.exists(boxes.box(machine.id()).root()));
        Eventually.await(LocalBoxes.GONE, "the box's job is ended with it",
                () -> !ProcessIdentity.isRunning(jobs.get(0).pid()));
    }

    @Test
    void killedHostShowsAsDeadAndStartRevivesTheBox() throws Exception {
        Machine machine = boxes.launchRunning();
        String fingerprint = boxes.cloud.accessFor(machine).hostKeys()
                .trustedFingerprints(machine, Duration.ofSeconds(5), Progress.NONE).toString();
        ProcessHandle host = boxes.host(machine.id());

        host.destroyForcibly();
        Eventually.await(LocalBoxes.GONE, "the host dies", () -> !ProcessIdentity.isRunning(host.pid()));

        assertEquals(MachineState.DEAD, boxes.cloud.find(machine.id()).orElseThrow().state());
        assertEquals(List.of(MachineState.DEAD), boxes.cloud.describe(MachineFilter.of(boxes.namespace)).stream()
                .map(Machine::state).toList());
        CgrenderException notRunning = assertThrows(CgrenderException.class, () -> boxes.cloud.accessFor(machine));
        assertEquals("local box " + machine.id() + " is dead, not running", notRunning.getMessage());
        assertEquals(Optional.of("fix: cgrender start " + machine.id()), notRunning.hint());

        boxes.cloud.start(machine.id(), LocalBoxes.RUNNING, Progress.NONE);
        Machine revived = boxes.cloud.find(machine.id()).orElseThrow();
        assertEquals(MachineState.RUNNING, revived.state());
        assertEquals(fingerprint, boxes.cloud.accessFor(revived).hostKeys()
                .trustedFingerprints(revived, Duration.ofSeconds(5), Progress.NONE).toString());
        assertEquals("back\n", boxes.ssh(revived, "echo back").stdout());
    }

    @Test
    void stopEndsTheBoxProcessesAndKeepsItsHome() throws Exception {
        Machine machine = boxes.launchRunning();
        boxes.ssh(machine, "echo kept > file.txt; setsid nohup sleep 300 >/dev/null 2>&1 < /dev/null &");
        List<ProcessHandle> processes = BoxProcesses.of(machine.id());
        assertEquals(1, processes.size());
        ProcessHandle host = boxes.host(machine.id());

        boxes.cloud.stop(machine.id(), LocalBoxes.GONE, Progress.NONE);

        assertFalse(ProcessIdentity.isRunning(host.pid()));
        assertFalse(ProcessIdentity.isRunning(processes.get(0).pid()), "a stopped box runs nothing");
        assertEquals(MachineState.STOPPED, boxes.cloud.find(machine.id()).orElseThrow().state());
        assertEquals("kept\n", Files.readString(boxes.box(machine.id()).home().resolve("file.txt")));
    }

    @Test
    void hostExitsWhenItsDirectoryDisappears() throws IOException {
        Machine machine = boxes.launchRunning();
        ProcessHandle host = boxes.host(machine.id());

        FileTrees.delete(boxes.box(machine.id()).root());

        Eventually.await(LocalBoxes.GONE, "the host notices and exits", () -> !ProcessIdentity.isRunning(host.pid()));
    }

    @Test
    void recycledPidIsDeadAndIsNeverSignalled() throws Exception {
        Machine machine = boxes.launchRunning();
        boxes.cloud.stop(machine.id(), LocalBoxes.GONE, Progress.NONE);
        // An unrelated process now holds the pid the state file names, but it started at another time.
        Process stranger = new ProcessBuilder("sleep", "300").start();
        helpers.add(stranger);
        BoxDir box = boxes.box(machine.id());
        ProcessIdentity impostor = new ProcessIdentity(stranger.pid(),
                stranger.toHandle().info().startInstant().orElseThrow().minusSeconds(3600));
        StateFile.update(box, s -> s.running(impostor, 1));

        assertEquals(MachineState.DEAD, boxes.cloud.find(machine.id()).orElseThrow().state());
        boxes.cloud.terminate(machine.id(), LocalBoxes.GONE, Progress.NONE);

        assertTrue(stranger.isAlive(), "terminate must not signal a process that merely reuses the host's pid");
        assertTrue(boxes.cloud.find(machine.id()).isEmpty());
    }

    @Test
    void awaitRunningFailsAtOnceWithTheHostLogWhenTheHostCannotStart() {
        String previous = System.setProperty(HostLauncher.CLASSPATH_PROPERTY, temp.resolve("no-such.jar").toString());
        Cloud broken;
        try {
            broken = new LocalCloudProvider().open(new CloudContext(Settings.defaults(), boxes.dirs, boxes.namespace,
                    Console.silent()));
        } finally {
            if (previous == null) {
                System.clearProperty(HostLauncher.CLASSPATH_PROPERTY);
            } else {
                System.setProperty(HostLauncher.CLASSPATH_PROPERTY, previous);
            }
        }
        Machine machine = broken.launch(boxes.spec("broken", Duration.ofMinutes(10), LONG));
        boxes.adopt(machine.id());

        long start = System.nanoTime();
        CgrenderException failure = assertThrows(CgrenderException.class,
                () -> broken.awaitRunning(machine.id(), Duration.ofMinutes(5), Progress.NONE));

        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(30)) < 0,
                "fails as soon as the host died, not at the timeout");
        assertTrue(failure.getMessage().contains(machine.id()), failure.getMessage());
        assertTrue(failure.getMessage().contains("BoxHost"), "names the log's complaint: " + failure.getMessage());
        assertEquals(MachineState.DEAD, boxes.cloud.find(machine.id()).orElseThrow().state());
    }

    @Test
    void hostJvmOptionsComeFromTheConfiguration() throws Exception {
        Path conf = Files.writeString(temp.resolve("test.conf"),
                "cgrender.local.host-jvm-options = [\"-Xmx64m\", \"-Dcgrender.test.marker=configured\"]\n");
        Settings settings = Settings.load(boxes.dirs, Optional.of(conf), Map.of(), Map.of());
        Cloud configured = new LocalCloudProvider().open(new CloudContext(settings, boxes.dirs, boxes.namespace,
                Console.silent()));
        Machine machine = configured.launch(boxes.spec("configured", Duration.ofMinutes(10), LONG));
        boxes.adopt(machine.id());
        configured.awaitRunning(machine.id(), LocalBoxes.RUNNING, Progress.NONE);

        List<String> arguments = List.of(boxes.host(machine.id()).info().arguments().orElseThrow());
        assertTrue(arguments.contains("-Dcgrender.test.marker=configured"), arguments.toString());
        assertTrue(arguments.contains("-Xmx64m"), arguments.toString());
    }

    @Test
    void concurrentTagUpdatesAreAllKept() throws Exception {
        Machine machine = boxes.launchRunning();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                writes.add(pool.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        boxes.cloud.tag(machine.id(), Map.of("t" + thread + "-" + i, "v"));
                    }
                }));
            }
            for (Future<?> write : writes) {
                write.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, String> tags = boxes.cloud.find(machine.id()).orElseThrow().tags();
        assertEquals(100, tags.keySet().stream().filter(k -> k.matches("t\\d-\\d+")).count());
        BoxState state = boxes.state(machine.id());
        assertEquals(MachineState.RUNNING, state.state(), "tagging kept what the host wrote");
        assertTrue(state.port() > 0);
    }

    @Test
    void imagesLeaveJobRecordsBehind() throws Exception {
        Machine machine = boxes.launchRunning();
        Path home = boxes.box(machine.id()).home();
        Files.writeString(home.resolve("setup-done"), "yes");
        Files.createDirectories(home.resolve(".cgrender/jobs/old"));
        Files.writeString(home.resolve(".cgrender/jobs/old/pid"), "1");

        var image = boxes.cloud.images().orElseThrow().create(machine, Map.of(), LocalBoxes.GONE, Progress.NONE);
        try {
            Machine copy = boxes.launch(boxes.spec("test-box", Duration.ofMinutes(10), LONG,
                    Optional.of(image.id())));
            Path copyHome = boxes.box(copy.id()).home();
            assertEquals("yes", Files.readString(copyHome.resolve("setup-done")));
            assertFalse(Files.exists(copyHome.resolve(".cgrender/jobs/old")));
            assertEquals(Optional.of(image.id()), boxes.state(copy.id()).image());
        } finally {
            boxes.cloud.images().orElseThrow().delete(image.id());
        }
    }

    @Test
    void garbageIsImagesOfUnknownRolesAndExpiredBoxesAndRemovingItTerminates() throws Exception {
        var gc = boxes.cloud.garbage().orElseThrow();
        Machine machine = boxes.launchRunning();
        var image = boxes.cloud.images().orElseThrow().create(machine,
                Map.of(Tags.ROLE, "test-box", Tags.NAMESPACE, machine.namespace().toString()), LocalBoxes.GONE,
                Progress.NONE);
        try {
            Instant now = Instant.now();
            assertEquals(List.of(), gc.find(machine.namespace(), Set.of("test-box"), now), "nothing yet");
            var unknownRole = gc.find(machine.namespace(), Set.of("other-box"), now);
            assertEquals(List.of("image " + image.id()), unknownRole.stream().map(g -> g.kind() + " " + g.id())
                    .toList());
            boxes.cloud.stop(machine.id(), LocalBoxes.GONE, Progress.NONE);
            var expired = gc.find(machine.namespace(), Set.of("test-box"), now.plus(LONG).plusSeconds(60));
            assertEquals(List.of("box " + machine.id()), expired.stream().map(g -> g.kind() + " " + g.id()).toList());
            assertTrue(expired.get(0).reason().contains("expired at"), expired.toString());
            gc.remove(expired.get(0));
            assertEquals(Optional.empty(), boxes.cloud.find(machine.id()));
            gc.remove(unknownRole.get(0));
            assertEquals(List.of(), boxes.cloud.images().orElseThrow().list(machine.namespace(), null));
        } finally {
            boxes.cloud.images().orElseThrow().delete(image.id());
        }
    }

    @Test
    void aBoxWhoseCreatorIsGoneIsAnOrphanThatGcListsAndThatEndsItselfAfterTheOrphanTimeout() throws Exception {
        Process creator = new ProcessBuilder("sleep", "60").start();
        ProcessIdentity gone = ProcessIdentity.of(creator.toHandle()).orElseThrow(); // alive: it has a start time
        creator.destroy();
        assertTrue(creator.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        String deadLease = new Lease(new Holder(MachineId.current(), gone.pid(), gone.startedAt()),
                Instant.now().plus(LONG)).tagValue();
        Machine alive = boxes.cloud.awaitRunning(boxes.launch(boxes.leasedSpec(
                Lease.ofSelf(Instant.now(), LONG).tagValue(), Duration.ofSeconds(1))).id(), LocalBoxes.RUNNING,
                Progress.NONE);
        Machine orphan = boxes.cloud.awaitRunning(boxes.launch(boxes.leasedSpec(deadLease, Duration.ofSeconds(2)))
                .id(), LocalBoxes.RUNNING, Progress.NONE);

        var found = boxes.cloud.garbage().orElseThrow().find(boxes.namespace, Set.of("test-box"), Instant.now());
        assertEquals(List.of("box " + orphan.id()), found.stream().map(g -> g.kind() + " " + g.id()).toList());
        assertTrue(found.get(0).reason().contains("its creator, pid " + gone.pid() + " on this machine, is gone"),
                found.toString());

        Eventually.await(Duration.ofSeconds(30), "the orphan ended itself",
                () -> boxes.cloud.find(orphan.id()).isEmpty());
        assertEquals(MachineState.RUNNING, boxes.cloud.find(alive.id()).orElseThrow().state(),
                "a box whose creator lives stays, however short its orphan timeout");
    }

    @Test
    void aLaunchInterruptedBeforeItsBoxExistedLeavesOnlyAHiddenDirectoryThatGcRemoves() throws Exception {
        Path boxesDir = boxes.dirs.state().resolve("local/boxes");
        Files.createDirectories(boxesDir);
        BoxDir mine = new BoxDir(boxesDir.resolve(BoxDir.BUILDING + "l-0123456789ab"));
        BoxDir theirs = new BoxDir(boxesDir.resolve(BoxDir.BUILDING + "l-ba9876543210"));
        Instant then = Instant.now().minus(Duration.ofMinutes(5));
        for (BoxDir dir : List.of(mine, theirs)) {
            Files.createDirectory(dir.root());
            String ns = dir == mine ? boxes.namespace.toString() : "/someone-else/";
            StateFile.create(dir, new BoxState(dir.id().substring(BoxDir.BUILDING.length()), ns, "test-box",
                    MachineState.PENDING, then, Optional.empty(), 0, Duration.ofMinutes(10), Optional.of(then.plus(LONG)),
                    Optional.of(LONG), Duration.ofMinutes(10), Optional.empty(), Map.of()));
            Files.setLastModifiedTime(dir.root(), java.nio.file.attribute.FileTime.from(then));
        }
        assertEquals(List.of(), boxes.cloud.describe(io.cgrender.core.cloud.MachineFilter.of(boxes.namespace)),
                "never seen as a box");
        var gc = boxes.cloud.garbage().orElseThrow();
        var found = gc.find(boxes.namespace, Set.of("test-box"), Instant.now());
        assertEquals(List.of("half-made box " + mine.id()), found.stream().map(g -> g.kind() + " " + g.id())
                .toList());
        gc.remove(found.get(0));
        assertFalse(Files.exists(mine.root()));
        assertTrue(Files.exists(theirs.root()), "another namespace's is not ours to remove");

        Machine launched = boxes.launchRunning();
        try (var dirs = Files.list(boxesDir)) {
            assertEquals(Set.of(launched.id(), theirs.id()), dirs.map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.toSet()), "a launch leaves no hidden directory");
        }
    }

    @Test
    void unknownAndMalformedIdsAreRefusedWithTheFix() {
        CgrenderException unknown = assertThrows(CgrenderException.class,
                () -> boxes.cloud.stop("l-000000000000", LocalBoxes.GONE, Progress.NONE));
        assertEquals("no local box l-000000000000", unknown.getMessage());
        assertEquals(Optional.of("see: cgrender list"), unknown.hint());
        CgrenderException malformed = assertThrows(CgrenderException.class,
                () -> boxes.cloud.terminate("../../etc", LocalBoxes.GONE, Progress.NONE));
        assertTrue(malformed.getMessage().contains("not a local box id"), malformed.getMessage());
        assertTrue(boxes.cloud.find("../x").isEmpty());
    }
}
