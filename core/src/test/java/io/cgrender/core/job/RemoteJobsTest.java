package io.cgrender.core.job;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Eventually;
import io.cgrender.core.ssh.ForwardingHost;
import io.cgrender.core.ssh.LoopbackBox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RemoteJobs} against a real OpenSSH server on this machine. The box is this machine, so the tests look at
 * the job's files and processes directly. Jobs live in the login user's {@code ~/.cgrender/jobs/}; each test removes
 * the jobs it started (and kills whatever they left running).
 */
class RemoteJobsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Shorter than the default, so the cancel tests stay quick; the behaviour is the same. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(2);
    /** Waits (bounded: 30 s) until the file named by $1 exists in the work directory. */
    private static final String AWAIT = "await() { for i in $(seq 1500); do [ -e \"$1\" ] && return 0; sleep 0.02;"
            + " done; return 1; }\n";

    @TempDir
    static Path classDir;
    private static LoopbackBox box;
    private static boolean hadCgrenderDir;

    private final List<String> started = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private String workdir;
    private Path work;

    @BeforeAll
    static void startBox() {
        box = LoopbackBox.start(classDir);
        hadCgrenderDir = Files.exists(box.home().resolve(".cgrender"));
    }

    @AfterAll
    static void stopBox() throws IOException {
        if (box == null) {
            return;
        }
        box.close();
        if (!hadCgrenderDir) {
            for (String dir : List.of(RemoteJobs.JOBS_DIR, ".cgrender")) {
                try {
                    Files.deleteIfExists(box.home().resolve(dir));
                } catch (DirectoryNotEmptyException inUse) {
                    // something else put files there meanwhile: leave it
                }
            }
        }
    }

    @BeforeEach
    void workDirectory() throws IOException {
        workdir = box.newRemoteDir();
        work = Files.createDirectories(box.local(workdir));
    }

    @AfterEach
    void removeJobs() throws IOException {
        pool.shutdownNow();
        for (String id : started) {
            readPid(jobDir(id).resolve("pid")).ifPresent(RemoteJobsTest::killSession);
        }
        try (var pidFiles = Files.list(work)) {
            pidFiles.filter(p -> p.toString().endsWith(".pid")).forEach(p -> readPid(p).ifPresent(pid -> kill(
                    Long.toString(pid))));
        }
        for (String id : started) {
            LoopbackBox.deleteTree(jobDir(id));
        }
    }

    // ---------------------------------------------------------------- start and status

    @Test
    void aStartedJobRunsRecordingItsStartThenItsEnd() throws IOException {
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String id = start(AWAIT + "await go");

        JobStatus running = jobs().status(id);

        assertEquals(JobStatus.Stage.RUNNING, running.stage());
        Instant startedAt = running.startedAt().orElseThrow();
        assertFalse(startedAt.isBefore(before) || startedAt.isAfter(Instant.now()), startedAt.toString());
        assertEquals(Optional.empty(), running.exitCode());
        assertEquals(Optional.empty(), running.endedAt());
        long pid = readPid(jobDir(id).resolve("pid")).orElseThrow();
        assertTrue(isRunning(pid), "the pid file names the running job");

        Files.createFile(work.resolve("go"));
        JobStatus ended = awaitEnd(id);

        assertEquals(JobStatus.Stage.SUCCEEDED, ended.stage());
        assertEquals(Optional.of(0), ended.exitCode());
        assertEquals(Optional.of(startedAt), ended.startedAt());
        assertFalse(ended.endedAt().orElseThrow().isBefore(startedAt));
        assertFalse(Files.exists(jobDir(id).resolve("pid")), "an ended job leaves no pid file");
        assertFalse(isRunning(pid));
        assertFalse(Files.exists(box.home().resolve(RemoteJobs.AFTER_JOB_FILE)), "a KEEP job asks nothing of the box");
    }

    @Test
    void aFailingJobRecordsItsExitCodeAndItsOutput() {
        String id = start("echo to stdout\necho to stderr >&2\nexit 7");

        JobStatus status = awaitEnd(id);

        assertEquals(JobStatus.Stage.FAILED, status.stage());
        assertEquals(Optional.of(7), status.exitCode());
        assertEquals("to stdout\nto stderr\n", printLog(id));
    }

    @Test
    void theCommandReachesTheBoxVerbatimAndRunsInTheWorkDirectory() {
        String text = "it's \"quoted\" $HOME `date` \\ back\\slash ünïcödé";
        String id = start("cat <<'END'\n" + text + "\nEND\npwd\n");

        assertEquals(JobStatus.Stage.SUCCEEDED, awaitEnd(id).stage());
        assertEquals(text + "\n" + work + "\n", printLog(id));
    }

    @Test
    void aJobWhoseWorkDirectoryIsMissingFailsSayingSo() {
        String id = JobIds.next();
        started.add(id);
        jobs().start(new JobSpec(id, workdir + "/missing", "echo never", After.KEEP));

        JobStatus status = awaitEnd(id);

        assertEquals(JobStatus.Stage.FAILED, status.stage());
        assertEquals(Optional.of(1), status.exitCode());
        String log = printLog(id);
        assertTrue(log.contains(workdir + "/missing") && !log.contains("never"), log);
    }

    @Test
    void aJobThatDiedWithoutEndingIsLost() {
        String id = start("sleep 300");
        long pid = readPid(jobDir(id).resolve("pid")).orElseThrow();

        killSession(pid); // SIGKILL to all of the job: nothing gets to record an end, as when a box reboots

        assertEquals(JobStatus.Stage.LOST, awaitEnd(id).stage());
        JobStatus lost = jobs().status(id);
        assertEquals(Optional.empty(), lost.exitCode());
        assertEquals(Optional.empty(), lost.endedAt());
    }

    @Test
    void aJobWhosePidWasReusedIsLostAndItsNewOwnerIsLeftAlone() throws Exception {
        String id = start("sleep 300");
        Path pidFile = jobDir(id).resolve("pid");
        String[] record = Files.readString(pidFile).strip().split(" ");
        assertEquals(2, record.length, "pid and start time: " + String.join(" ", record));
        assertEquals(JobProcess.startTime(Long.parseLong(record[0])), Optional.of(record[1]));
        killSession(Long.parseLong(record[0]));
        Process stranger = new ProcessBuilder("sleep", "300").start();
        try {
            // The job's pid now belongs to another live process, as after a reboot or a long uptime.
            Files.writeString(pidFile, stranger.pid() + " " + record[1] + "\n");

            assertEquals(JobStatus.Stage.LOST, jobs().status(id).stage());
            assertFalse(JobProcess.isAlive(pidFile));
            jobs().cancel(id);
            assertEquals(JobStatus.Stage.LOST, jobs().status(id).stage());
            Eventually.holdsFor(Duration.ofMillis(500), "cancel leaves the process that got the pid alone",
                    stranger::isAlive);

            // The same process with its own start time is the job, alive: judged by identity, not by pid.
            Files.writeString(pidFile, stranger.pid() + " " + JobProcess.startTime(stranger.pid()).orElseThrow()
                    + "\n");
            assertEquals(JobStatus.Stage.RUNNING, jobs().status(id).stage());
            assertTrue(JobProcess.isAlive(pidFile));
        } finally {
            stranger.destroyForcibly();
            stranger.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(pidFile);
        }
    }

    @Test
    void anUnknownJobIsUnknownAndHasNoLog() {
        String id = "j-20000101-000000-0000";
        RemoteJobs jobs = jobs();

        assertEquals(JobStatus.Stage.UNKNOWN, jobs.status(id).stage());
        CgrenderException follow = assertThrows(CgrenderException.class,
                () -> jobs.follow(id, 0, OutputStream.nullOutputStream(), WAIT));
        assertTrue(follow.getMessage().contains("no job " + id), follow.getMessage());
        assertThrows(CgrenderException.class, () -> jobs.printLog(id, OutputStream.nullOutputStream()));
        jobs.cancel(id); // nothing to cancel: no error
        assertFalse(Files.exists(jobDir(id)), "asking created nothing");
    }

    // ---------------------------------------------------------------- follow and logs

    @Test
    void theFollowReadsTheEndedJobsStatusAndFilesSoThatReadingThemTakesNoCommandOfItsOwn() {
        String id = start("echo made > made.exit\necho done\nexit 4");
        String made = workdir + "/made.exit";
        ForwardingHost host = new ForwardingHost(box.connect());
        RemoteJobs jobs = new RemoteJobs(host, LoopbackBox.TIMEOUT, KILL_GRACE);
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        jobs.follow(id, 0, log, WAIT, List.of(made, workdir + "/never.exit"));
        int commands = host.execs();
        RemoteJobs.StatusWithFiles read = jobs.statusWith(id, List.of(made));

        assertEquals("done\n", log.toString(StandardCharsets.UTF_8));
        assertEquals(commands, host.execs(), "answered from what the follow read");
        assertEquals(JobStatus.Stage.FAILED, read.status().stage());
        assertEquals(Optional.of(4), read.status().exitCode());
        assertEquals(Map.of(made, "made"), read.files());
        assertEquals(read.status(), jobs.status(id), "the box is asked again: what the follow read is taken once");
        assertEquals(commands + 1, host.execs());

        jobs.follow(id, 0, OutputStream.nullOutputStream(), WAIT, List.of());
        commands = host.execs();
        assertEquals(Map.of(made, "made"), jobs.statusWith(id, List.of(made)).files(),
                "a file the follow did not read is asked for");
        assertEquals(commands + 1, host.execs());
    }

    @Test
    void theFollowBringsBackTheEndedJobsFilesAndDownloadPutsThemInPlaceWithoutAnotherSession() throws IOException {
        // Bytes of every value, newlines and frame-like lines included, and a mode to carry over.
        String id = start("head -c 300000 /dev/urandom > out.bin; printf '::file 9 644 x\\nnot a frame\\n' >> out.bin;"
                + " chmod 0664 out.bin; echo rendered");
        ForwardingHost host = new ForwardingHost(box.connect());
        RemoteJobs jobs = new RemoteJobs(host, LoopbackBox.TIMEOUT, KILL_GRACE);
        Path here = Files.createDirectories(classDir.resolve("here-" + id));
        Map<String, Path> bring = Map.of(workdir + "/out.bin", here.resolve("out.bin"),
                RemoteJobs.jobDir(id) + "/log", here.resolve("log"), workdir + "/missing.bin", here.resolve("missing"));

        jobs.follow(id, 0, OutputStream.nullOutputStream(), WAIT, List.of(), bring);
        assertFalse(Files.exists(here.resolve("out.bin")), "nothing is in place before it is asked for");
        int commands = host.execs();
        jobs.download(id, Map.of(workdir + "/out.bin", here.resolve("out.bin"), RemoteJobs.jobDir(id) + "/log",
                here.resolve("log")));

        assertEquals(commands, host.execs());
        assertEquals(0, host.downloads(), "no SFTP: the follow brought both");
        assertArrayEquals(Files.readAllBytes(work.resolve("out.bin")), Files.readAllBytes(here.resolve("out.bin")));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(here.resolve("out.bin"))),
                "the box's mode less group and others' write, as SFTP gives");
        assertEquals("rendered\n", Files.readString(here.resolve("log")));
        try (var left = Files.list(here)) {
            assertEquals(List.of("log", "out.bin"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left behind");
        }
    }

    @Test
    void whatTheFollowDidNotBringIsDownloadedAndWhatItBroughtForNobodyIsDropped() throws IOException {
        String id = start("echo a > a.txt; echo b > b.txt");
        ForwardingHost host = new ForwardingHost(box.connect());
        RemoteJobs jobs = new RemoteJobs(host, LoopbackBox.TIMEOUT, KILL_GRACE);
        Path here = Files.createDirectories(classDir.resolve("here-" + id));
        jobs.follow(id, 0, OutputStream.nullOutputStream(), WAIT, List.of(),
                Map.of(workdir + "/a.txt", here.resolve("a.txt")));

        jobs.download(id, Map.of(workdir + "/b.txt", here.resolve("b.txt")));

        assertEquals(1, host.downloads());
        assertEquals("b\n", Files.readString(here.resolve("b.txt")));
        try (var left = Files.list(here)) {
            assertEquals(List.of("b.txt"), left.map(p -> p.getFileName().toString()).toList());
        }
        jobs.download(id, Map.of(workdir + "/a.txt", here.resolve("a.txt")));
        assertEquals(2, host.downloads(), "what a follow brought is there for one download only");
    }

    @Test
    void followStreamsTheLogAsItGrowsAndReturnsWhenTheJobEnds() throws Exception {
        String id = start(AWAIT + "echo first\nawait go1\necho second\nawait go2\necho last");
        Lines lines = new Lines();

        Future<Long> following = pool.submit(() -> jobs().follow(id, 0, lines, WAIT));

        lines.await("first\n");
        assertFalse(following.isDone(), "still following while the job runs");
        Files.createFile(work.resolve("go1"));
        lines.await("first\nsecond\n");
        assertFalse(following.isDone(), "still following while the job runs");
        Files.createFile(work.resolve("go2"));
        long offset = following.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertEquals("first\nsecond\nlast\n", lines.text());
        assertEquals(Files.size(jobDir(id).resolve("log")), offset);
        assertEquals(JobStatus.Stage.SUCCEEDED, jobs().status(id).stage(), "follow returns once the job ended");
    }

    @Test
    void followFromAnOffsetSendsOnlyWhatComesAfterIt() throws Exception {
        String id = start(AWAIT + "printf '12345\\n'\nawait go\nprintf '678\\n'");
        lines(id).await("12345\n");
        Lines rest = new Lines();

        Future<Long> following = pool.submit(() -> jobs().follow(id, 6, rest, WAIT));
        Files.createFile(work.resolve("go"));

        assertEquals(10, following.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals("678\n", rest.text());
        Lines tail = new Lines();
        assertEquals(10, jobs().follow(id, 6, tail, WAIT), "an ended job's log, at once");
        assertEquals("678\n", tail.text());
        assertEquals(10, jobs().follow(id, 10, new Lines(), WAIT));
    }

    @Test
    void printLogShowsTheLogSoFarWithoutWaiting() {
        String id = start(AWAIT + "echo so far\nawait go\necho more");
        lines(id).await("so far\n");

        long start = System.nanoTime();
        String log = printLog(id);

        assertEquals("so far\n", log);
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);
        assertEquals(JobStatus.Stage.RUNNING, jobs().status(id).stage());
    }

    // ---------------------------------------------------------------- cancel

    @Test
    void cancelEndsTheJobAndEverythingItStarted() throws IOException {
        String id = start("sleep 300 & echo $! > child.pid\n"
                + "bash -c 'sleep 300 & echo $! > grandchild.pid; wait' &\n"
                + "wait");
        long child = Eventually.value(WAIT, "the job's child started", () -> readPid(work.resolve("child.pid")));
        long grandchild = Eventually.value(WAIT, "the job's grandchild started",
                () -> readPid(work.resolve("grandchild.pid")));
        long job = readPid(jobDir(id).resolve("pid")).orElseThrow();

        jobs().cancel(id);

        JobStatus status = awaitEnd(id);
        assertEquals(JobStatus.Stage.CANCELLED, status.stage());
        assertEquals(Optional.of(143), status.exitCode());
        assertTrue(status.endedAt().isPresent());
        Eventually.await(WAIT, "the job and all its processes are gone",
                () -> !isRunning(job) && !isRunning(child) && !isRunning(grandchild));
        assertFalse(Files.exists(jobDir(id).resolve("pid")));
    }

    @Test
    void nothingOfACancelledJobOutlivesItsEndNotEvenTheTimerOfItsKillGrace() {
        RemoteJobs patient = new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT, Duration.ofMinutes(5));
        String id = JobIds.next();
        started.add(id);
        patient.start(new JobSpec(id, workdir, "sleep 300", After.KEEP));
        long job = readPid(jobDir(id).resolve("pid")).orElseThrow();

        patient.cancel(id);

        assertEquals(JobStatus.Stage.CANCELLED, awaitEnd(id).stage());
        // setsid made the job's wrapper its session's leader: everything the job started is in that session.
        Eventually.await(WAIT, "nothing of the job's session is left", () -> sessionMembers(job).isEmpty());
    }

    @Test
    void aCommandThatIgnoresSigtermIsKilledWhenTheJobIsCancelled() throws IOException {
        String id = start("trap '' TERM\nsleep 300 & echo $! > stubborn.pid\nwait");
        long stubborn = Eventually.value(WAIT, "the command started", () -> readPid(work.resolve("stubborn.pid")));
        long job = readPid(jobDir(id).resolve("pid")).orElseThrow();

        long cancelled = System.nanoTime();
        jobs().cancel(id);

        JobStatus status = awaitEnd(id);
        Duration took = Duration.ofNanos(System.nanoTime() - cancelled);
        assertEquals(JobStatus.Stage.CANCELLED, status.stage());
        assertEquals(Optional.of(137), status.exitCode(), "it took SIGKILL");
        assertTrue(took.compareTo(KILL_GRACE) >= 0, "SIGKILL came only after the grace period: " + took);
        Eventually.await(WAIT, "the stubborn process and the job are gone",
                () -> !isRunning(stubborn) && !isRunning(job));
        assertFalse(Files.exists(jobDir(id).resolve("pid")));
    }

    @Test
    void aJobRemovesItsOwnInputsWhenItEnds() throws IOException {
        String id = JobIds.next();
        started.add(id);
        Path inputs = Files.createDirectories(box.home().resolve(RemoteJobs.inputsDir(id)).resolve("model"));
        Files.writeString(inputs.resolve("part.scad"), "cube(1);\n");
        jobs().start(new JobSpec(id, RemoteJobs.inputsDir(id) + "/model", "cat part.scad", After.KEEP));

        assertEquals(JobStatus.Stage.SUCCEEDED, awaitEnd(id).stage());
        assertEquals("cube(1);\n", printLog(id), "the job ran in its inputs");
        Eventually.await(WAIT, "the job removed its inputs as it ended",
                () -> !Files.exists(box.home().resolve(RemoteJobs.inputsDir(id))));
    }

    @Test
    void aJobCancelledAsSoonAsItStartedIsCancelled() {
        for (int i = 0; i < 3; i++) {
            String id = start("sleep 300");
            jobs().cancel(id);

            JobStatus status = awaitEnd(id);

            assertEquals(JobStatus.Stage.CANCELLED, status.stage(), "attempt " + i + ": " + status);
            assertEquals(Optional.of(143), status.exitCode(), "attempt " + i);
        }
    }

    // ---------------------------------------------------------------- detached

    @Test
    void aJobOutlivesTheSessionTheClientAndTheServerThatStartedIt() throws Exception {
        String id = start(AWAIT + "echo before\nawait go\necho after");
        lines(id).await("before\n");
        long pid = readPid(jobDir(id).resolve("pid")).orElseThrow();

        box.disconnect();
        box.newClient();
        box.sshd().restart(); // kills the server and every process still under it

        assertTrue(isRunning(pid), "the job runs on with no client and no session");
        RemoteJobs later = jobs();
        assertEquals(JobStatus.Stage.RUNNING, later.status(id).stage());
        Lines lines = new Lines();
        Future<Long> following = pool.submit(() -> later.follow(id, 0, lines, WAIT));
        lines.await("before\n");
        Files.createFile(work.resolve("go"));
        following.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertEquals("before\nafter\n", lines.text());
        JobStatus ended = later.status(id);
        assertEquals(JobStatus.Stage.SUCCEEDED, ended.stage());
        assertEquals(Optional.of(0), ended.exitCode());
    }

    // ---------------------------------------------------------------- the status file

    @Test
    void parseStatusReadsWhatTheWrapperWrites() {
        JobStatus running = RemoteJobs.parseStatus("stage=running\nstarted=2026-11-25T01:02:03Z\nended=\nexit=\n");
        assertEquals(new JobStatus(JobStatus.Stage.RUNNING, Optional.empty(),
                Optional.of(Instant.parse("2026-11-25T01:02:03Z")), Optional.empty()), running);

        JobStatus failed = RemoteJobs.parseStatus("stage=failed\r\nstarted=2026-11-25T01:02:03Z\r\n"
                + "ended=2026-11-25T01:04:00Z\r\nexit=2\r\n");
        assertEquals(new JobStatus(JobStatus.Stage.FAILED, Optional.of(2),
                Optional.of(Instant.parse("2026-11-25T01:02:03Z")), Optional.of(Instant.parse("2026-11-25T01:04:00Z"))),
                failed);
    }

    @Test
    void parseStatusEdgeCases() {
        assertEquals(JobStatus.Stage.LOST, RemoteJobs.parseStatus("stage=running\nexit=\ndead=1\n").stage(),
                "running, but its process is gone");
        assertEquals(JobStatus.Stage.SUCCEEDED, RemoteJobs.parseStatus("stage=succeeded\nexit=0\ndead=1\n").stage(),
                "an ended job stays ended");
        assertEquals(JobStatus.Stage.CANCELLED, RemoteJobs.parseStatus("stage=cancelled\nexit=143\n").stage());
        JobStatus empty = RemoteJobs.parseStatus("");
        assertEquals(new JobStatus(JobStatus.Stage.UNKNOWN, Optional.empty(), Optional.empty(), Optional.empty()),
                empty);
        assertEquals(JobStatus.Stage.UNKNOWN, RemoteJobs.parseStatus("stage=unknown\n").stage());
        assertEquals(JobStatus.Stage.UNKNOWN, RemoteJobs.parseStatus("stage=exploded\n").stage());
        assertEquals(JobStatus.Stage.UNKNOWN, RemoteJobs.parseStatus("stage=\n=x\nnonsense\n").stage());
        JobStatus garbled = RemoteJobs.parseStatus("stage=failed\nexit=x1\nstarted=yesterday\nended=2026-13-01\n");
        assertEquals(new JobStatus(JobStatus.Stage.FAILED, Optional.empty(), Optional.empty(), Optional.empty()),
                garbled);
        assertEquals(Optional.of(-1), RemoteJobs.parseStatus("stage=failed\nexit= -1 \n").exitCode());
    }

    @Test
    void aJobMaySayMoreAboutItsEndInItsDetailFile() {
        JobStatus kept = RemoteJobs.parseStatus("stage=failed\nexit=1\ndetail=could not store the results in"
                + " s3://b/p/ (no route); the working files are kept on the box\n");
        assertEquals(Optional.of("could not store the results in s3://b/p/ (no route); the working files are kept on"
                + " the box"), kept.detail());
        assertEquals(Optional.empty(), RemoteJobs.parseStatus("stage=succeeded\nexit=0\ndetail=\n").detail());
    }

    // ---------------------------------------------------------------- helpers

    private RemoteJobs jobs() {
        return new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT, KILL_GRACE);
    }

    private String start(String command) {
        String id = JobIds.next();
        while (started.contains(id)) {
            id = JobIds.next();
        }
        started.add(id);
        jobs().start(new JobSpec(id, workdir, command, After.KEEP));
        return id;
    }

    private JobStatus awaitEnd(String id) {
        RemoteJobs jobs = jobs();
        return Eventually.value(WAIT, "job " + id + " ends", () -> {
            JobStatus s = jobs.status(id);
            return s.stage().ended() ? Optional.of(s) : Optional.empty();
        });
    }

    private String printLog(String id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        jobs().printLog(id, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The job's log file as it grows, read here directly. */
    private Lines lines(String id) {
        return new Lines() {
            @Override
            String text() {
                try {
                    return Files.readString(jobDir(id).resolve("log"));
                } catch (IOException e) {
                    return "";
                }
            }
        };
    }

    private static Path jobDir(String id) {
        return box.home().resolve(RemoteJobs.jobDir(id));
    }

    /** The pid in a pid file: the first word (a job's pid file has its start time after it). */
    private static Optional<Long> readPid(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text.split(" ")[0]));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** SIGKILL to every process of the session {@code sid} (a job's wrapper leads one; its command is in it). */
    private static void killSession(long sid) {
        run("pkill", "-KILL", "-s", Long.toString(sid));
    }

    /** SIGKILL to a pid. */
    private static void kill(String target) {
        run("kill", "-KILL", "--", target);
    }

    private static void run(String... command) {
        try {
            Process kill = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Alive and not a zombie (an orphan's parent may reap it late). */
    /** The processes of session {@code sid} that have not exited. */
    private static List<Long> sessionMembers(long sid) {
        List<Long> members = new ArrayList<>();
        try (var dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path dir : dirs) {
                try {
                    String stat = Files.readString(dir.resolve("stat"));
                    // after the command's name: state, ppid, pgrp, session
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (!fields[0].equals("Z") && Long.parseLong(fields[3]) == sid) {
                        members.add(Long.parseLong(dir.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return members;
    }

    private static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** What a follow wrote, readable while it is still being written. */
    private static class Lines extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        void await(String expected) {
            Eventually.await(WAIT, "the log reads '" + expected + "'", () -> text().equals(expected));
        }
    }
}
