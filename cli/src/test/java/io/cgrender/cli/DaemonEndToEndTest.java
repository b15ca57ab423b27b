package io.cgrender.cli;

import io.cgrender.cli.daemon.DaemonAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher's front end and the user's daemon, as real processes: the first command starts a daemon, the next ones
 * run in it with the same output, exit codes and Ctrl-C as without it; a dead or hung daemon is passed by at once.
 */
class DaemonEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Map<String, String> ON = Map.of("CGRENDER_DAEMON", "on");
    private static final Map<String, String> ONLY = Map.of("CGRENDER_DAEMON", "only");
    private static final Map<String, String> OFF = Map.of("CGRENDER_DAEMON", "off");

    @RegisterExtension
    final Cli cli = new Cli();

    @AfterEach
    void stopDaemon() throws IOException {
        daemonPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }

    @Test
    void theFirstCommandStartsTheDaemonAndTheNextRunThereWithTheSameOutputAndExitCodes() throws Exception {
        Path work = Files.createDirectories(cli.root().resolve("work"));
        Run first = run(ON, work, "list");
        assertEquals(0, first.code(), first.output());
        long pid = awaitDaemon();

        for (List<String> args : List.of(List.of("list", "--json"), List.of("list", "--bogus"),
                List.of("-n", "/other/", "jobs"), List.of("create", "no-such-role"))) {
            Run without = run(OFF, work, args.toArray(String[]::new));
            Run with = run(ONLY, work, args.toArray(String[]::new));
            assertEquals(without, with, "cgrender " + args + " with and without the daemon");
        }
        assertEquals(2, run(ONLY, work, "list", "--bogus").code());
        assertEquals(pid, awaitDaemon(), "one daemon served them all");

        // Commands that need the terminal or print help run in the front end; 'only' says so.
        for (String[] args : new String[][] {{"--version"}, {"list", "--help"}, {"ssh", "box"}, {"-v", "list"},
                {"lsit"}}) {
            Run declined = run(ONLY, work, args);
            assertEquals(Main.FAILURE, declined.code(), declined.output());
            assertTrue(declined.output().contains("the cgrender daemon did not run the command"), declined.output());
        }
        Run status = run(ON, work, "daemon");
        assertEquals("running (pid " + pid + "), listening on " + address().socket() + "\n", status.output());
        Run version = run(ON, work, "--version");
        assertEquals(0, version.code(), version.output());
        assertTrue(version.output().startsWith("cgrender "), version.output());

        DaemonAddress address = address();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(address.dir())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(address.socket())));
        Run bad = run(Map.of("CGRENDER_DAEMON", "maybe"), work, "list");
        assertEquals(Main.USAGE, bad.code(), bad.output());
        assertTrue(bad.output().contains("fix: unset CGRENDER_DAEMON"), bad.output());
    }

    @Test
    void aRenderInTheDaemonReadsAndWritesRelativeToTheFrontEndsDirectory() throws Exception {
        Path work = Files.createDirectories(cli.root().resolve("models"));
        Files.writeString(work.resolve("part.scad"), "include <dims.scad>\ncube(size);\n");
        Files.writeString(work.resolve("dims.scad"), "size = 3;\n");
        assertEquals(0, run(ON, cli.root(), "list").code());
        awaitDaemon();

        Run render = run(ONLY, work, "render", "part.scad");
        assertEquals(0, render.code(), render.output());
        assertTrue(Files.readString(work.resolve("part.stl")).contains("facet"), render.output());
        assertTrue(render.output().contains("\npart.stl\n") || render.output().startsWith("part.stl\n"),
                "the written file, shown relative to the front end's directory:\n" + render.output());
    }

    @Test
    void ctrlCOfACommandInTheDaemonUnwindsItAndAKilledFrontEndsCommandIsUnwoundToo() throws Exception {
        assertEquals(0, run(ON, cli.root(), "list").code());
        long pid = awaitDaemon();
        for (boolean kill : new boolean[] {false, true}) {
            Path log = cli.root().resolve("create-" + kill + ".log");
            try (CgrenderProcess create = CgrenderProcess.frontEnd(cli, ONLY, cli.root(), log, "create",
                    "slow-setup-box")) {
                create.awaitWhileAlive(WAIT, "the box's setup started", () -> setupStarted().isPresent());
                if (kill) {
                    create.kill(); // SIGKILL: the front end says nothing, the daemon sees it gone
                } else {
                    create.interrupt(); // SIGTERM, which runs the hooks as Ctrl-C's SIGINT does
                    assertEquals(143, create.await(WAIT), create.output());
                    assertTrue(create.output().contains("interrupted: cleaning up"), create.output());
                    assertTrue(create.output().contains("terminating box"), create.output());
                }
            }
            awaitNoBox();
            assertEquals(pid, awaitDaemon(), "the daemon lives on");
        }

        // Stopping the daemon interrupts what it runs, which cleans up as on Ctrl-C.
        Path log = cli.root().resolve("create-stopped.log");
        try (CgrenderProcess create = CgrenderProcess.frontEnd(cli, ONLY, cli.root(), log, "create",
                "slow-setup-box")) {
            create.awaitWhileAlive(WAIT, "the box's setup started", () -> setupStarted().isPresent());
            Run stop = run(ON, cli.root(), "daemon", "--stop");
            assertEquals(0, stop.code(), stop.output());
            assertTrue(stop.output().contains("stopping the daemon (pid " + pid + ")"), stop.output());
            assertEquals(130, create.await(WAIT), create.output());
            assertTrue(create.output().contains("the cgrender daemon is stopping: interrupting the command"),
                    create.output());
            assertTrue(create.output().contains("terminating box"), create.output());
        }
        assertTrue(ProcessHandle.of(pid).isEmpty() || !ProcessHandle.of(pid).get().isAlive());
        assertEquals(List.of(), cli.boxIds());
        Run status = run(ON, cli.root(), "daemon");
        assertTrue(status.output().startsWith("not running; the next command starts one"), status.output());
    }

    @Test
    void aDeadOrHungDaemonIsPassedByAndADeadOneReplaced() throws Exception {
        assertEquals(0, run(ON, cli.root(), "list").code());
        long dead = awaitDaemon();
        ProcessHandle.of(dead).orElseThrow().destroyForcibly();
        awaitGone(dead);
        assertTrue(Files.exists(address().socket()), "a killed daemon leaves its socket behind");

        Run passed = run(ON, cli.root(), "list");
        assertEquals(0, passed.code(), passed.output());
        assertTrue(passed.output().contains("no boxes"), passed.output());
        long replacement = awaitNewDaemon(dead);
        assertNotEquals(dead, replacement);
        assertEquals(0, run(ONLY, cli.root(), "list").code());

        // A daemon that takes connections but never answers: the command runs in the front end after the handshake's
        // timeout; with 'only', it fails saying so.
        ProcessHandle.of(replacement).orElseThrow().destroyForcibly();
        awaitGone(replacement);
        Files.delete(address().socket());
        try (ServerSocketChannel hung = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             FileChannel lockFile = FileChannel.open(address().lock(), StandardOpenOption.WRITE);
             FileLock held = lockFile.lock()) { // as the hung daemon would: no other starts
            hung.bind(UnixDomainSocketAddress.of(address().socket()));
            Run fallback = run(ON, cli.root(), "list");
            assertEquals(0, fallback.code(), fallback.output());
            assertTrue(fallback.output().contains("no boxes"), fallback.output());
            // The front end found no daemon that answers, so it started one, which finds the lock held and ends.
            awaitLog("another daemon holds");
            Run only = run(ONLY, cli.root(), "list");
            assertEquals(Main.FAILURE, only.code(), only.output());
            assertTrue(only.output().contains("no answer in time"), only.output());
        }
    }

    /** A front end's run, its standard output and error in one log. */
    private record Run(int code, String output) {
    }

    private Run run(Map<String, String> env, Path dir, String... args) throws Exception {
        Path log = Files.createTempFile(cli.root(), "run", ".log");
        try (CgrenderProcess p = CgrenderProcess.frontEnd(cli, env, dir, log, args)) {
            int code = p.await(WAIT);
            return new Run(code, p.output());
        }
    }

    /** The environment a front end started by this test has, and so its daemon's address. */
    private DaemonAddress address() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(cli.env());
        return DaemonAddress.of(env).orElseThrow();
    }

    private Optional<Long> daemonPid() throws IOException {
        Path pidFile = address().pidFile();
        return Files.exists(pidFile) ? Optional.of(Long.parseLong(Files.readString(pidFile).strip()))
                : Optional.empty();
    }

    /** Waits (bounded) for a daemon to serve: its pid file, written once it listens, names a live process. */
    private long awaitDaemon() throws Exception {
        return awaitNewDaemon(-1);
    }

    private long awaitNewDaemon(long not) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Long> pid = daemonPid();
            if (pid.isPresent() && pid.get() != not && ProcessHandle.of(pid.get()).map(ProcessHandle::isAlive)
                    .orElse(false)) {
                return pid.get();
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("no daemon within " + WAIT + "; its log:\n" + log());
    }

    private static void awaitGone(long pid) {
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(60, TimeUnit.SECONDS).join());
    }

    private void awaitNoBox() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!cli.boxIds().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("boxes left: " + cli.boxIds() + "; daemon log:\n" + log());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private void awaitLog(String line) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!log().contains(line)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the daemon's log did not say '" + line + "':\n" + log());
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private Optional<Path> setupStarted() {
        Path boxes = cli.stateDir().resolve("local/boxes");
        if (!Files.isDirectory(boxes)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(boxes)) {
            return dirs.map(d -> d.resolve("home/setup-started")).filter(Files::exists).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private String log() throws IOException {
        Path log = address().log();
        return Files.exists(log) ? Files.readString(log) : "(no log)";
    }
}
