package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ui.Progress;
import io.cgrender.testkit.LocalSshd;
import io.cgrender.testkit.LocalUser;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.cgrender.core.ssh.Poll.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MinaSshConnectorExecTest extends SshTestBase {

    @Test
    void streamsOutputWhileTheCommandStillRuns() throws Exception {
        RemoteHost host = connect();
        Path go = tmp.resolve("go");
        CountDownLatch firstLine = new CountDownLatch(1);
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        OutputStream watcher = new OutputStream() {
            @Override
            public synchronized void write(int b) {
                seen.write(b);
                if (seen.toString(StandardCharsets.UTF_8).contains("started\n")) {
                    firstLine.countDown();
                }
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ExecResult> running = pool.submit(() -> host.exec("echo started; for i in $(seq 1 400); do"
                    + " [ -e " + sh(go) + " ] && { echo done; exit 0; }; sleep 0.05; done; exit 7",
                    TIMEOUT, null, watcher, OutputStream.nullOutputStream()));

            assertTrue(firstLine.await(10, TimeUnit.SECONDS), "the first line arrives before the command ends");
            assertFalse(running.isDone(), "the command is still waiting for its go signal");
            Files.createFile(go);
            ExecResult result = running.get(15, TimeUnit.SECONDS);

            assertEquals(0, result.exitCode());
            assertEquals("started\ndone\n", seen.toString(StandardCharsets.UTF_8));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void outputOnStderrWithExitZeroIsSuccess() {
        ExecResult result = connect().exec("echo 'Reading package lists...' >&2; echo installed", TIMEOUT);

        assertTrue(result.succeeded());
        assertEquals("installed\n", result.stdout());
        assertEquals("Reading package lists...\n", result.stderr());
    }

    @Test
    void nonZeroExitCodeIsReturnedNotThrown() {
        ExecResult result = connect().exec("echo failing >&2; exit 42", TIMEOUT);

        assertEquals(42, result.exitCode());
        assertFalse(result.succeeded());
        assertEquals("failing\n", result.stderr());
    }

    @Test
    void feedsStdinToTheCommand() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExecResult result = connect().exec("tr a-z A-Z", TIMEOUT,
                new ByteArrayInputStream("hello\nworld\n".getBytes(StandardCharsets.UTF_8)), out,
                OutputStream.nullOutputStream());

        assertEquals(0, result.exitCode());
        assertEquals("HELLO\nWORLD\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutStdinACommandReadingItSeesEndOfInput() {
        ExecResult result = connect().exec("cat; echo after-eof", Duration.ofSeconds(5));

        assertEquals(0, result.exitCode());
        assertEquals("after-eof\n", result.stdout());
    }

    @Test
    void timeoutEndsTheCommandOnTheMachineAndSaysSo() throws Exception {
        RemoteHost host = connect();
        Path pidFile = tmp.resolve("pid");
        long start = System.nanoTime();

        CgrenderException e = assertThrows(CgrenderException.class, () -> host.exec("echo $$ > " + sh(pidFile)
                + "; while :; do echo tick; sleep 0.1; done", Duration.ofSeconds(3)));

        assertTrue(e.getMessage().startsWith("command timed out after 3s on " + ALIAS + ": echo $$"),
                e.getMessage());
        assertTrue(e.getMessage().contains("while :; do echo tick"), e.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(20)) < 0);
        assertGone(Long.parseLong(Files.readString(pidFile).trim()));
        assertTrue(host.isOpen(), "a command's timeout does not end the session");
        assertEquals(0, host.exec("true", TIMEOUT).exitCode());
    }

    @Test
    void timeoutKillsEvenACommandThatPrintsNothing() throws Exception {
        if (!"root".equals(sshd.user())) {
            assertSilentCommandEnded(connect(), tmp.resolve("pid"));
            return;
        }
        // OpenSSH refuses the signal request for root logins, and only a signal ends a silent command: as root, the
        // test logs in as a user of its own, as a box's login user is.
        Path home = Files.createDirectories(Path.of("/tmp", "cgrender-exec-" + ProcessHandle.current().pid()));
        String name = "cgr-t" + Long.toHexString(System.nanoTime() & 0xffffffL);
        try (LocalUser user = LocalUser.create(name, home, "cgrender test user")) {
            user.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
            try (LocalSshd own = LocalSshd.startFor(user.name(), ".ssh/authorized_keys")) {
                HostKeyFingerprint fingerprint = HostKeyFingerprint.parse(own.hostKeyFingerprint());
                SshTarget target = new SshTarget(ALIAS, new SshEndpoint(LocalSshd.HOST, own.port(), user.name()),
                        clientKey, () -> Set.of(fingerprint));
                assertSilentCommandEnded(connector.connect(target, TIMEOUT, Progress.NONE), home.resolve("pid"));
            }
        } finally {
            OsCommand.run(Duration.ofSeconds(30), "rm", "-rf", home.toString());
        }
    }

    private static void assertSilentCommandEnded(RemoteHost host, Path pidFile) throws Exception {
        assertThrows(CgrenderException.class,
                () -> host.exec("echo $$ > " + sh(pidFile) + "; exec sleep 60", Duration.ofSeconds(1)));

        assertGone(Long.parseLong(Files.readString(pidFile).trim()));
    }

    private static void assertGone(long pid) throws InterruptedException {
        assertTrue(Poll.until(Duration.ofSeconds(5), () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)),
                "the timed-out command (pid " + pid + ") was ended");
    }

    @Test
    void aCommandKilledBySignalIsAFailureNamingTheSignal() {
        CgrenderException e = assertThrows(CgrenderException.class,
                () -> connect().exec("kill -KILL $$", TIMEOUT));

        assertTrue(e.getMessage().contains("killed by signal KILL"), e.getMessage());
    }

    @Test
    void aLostConnectionDuringACommandIsAFailureNotAnExitCode() throws Exception {
        RemoteHost host = connect();
        Path pidFile = tmp.resolve("pid");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ExecResult> running = pool.submit(() -> host.exec("echo $$ > " + sh(pidFile + ".tmp") + "; mv "
                    + sh(pidFile + ".tmp") + " " + sh(pidFile) + "; while :; do echo tick; sleep 0.1; done", TIMEOUT));
            assertTrue(Poll.until(Duration.ofSeconds(10), () -> Files.exists(pidFile)));

            host.close();

            Exception e = assertThrows(Exception.class, () -> running.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof CgrenderException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("without an exit status"), e.getCause().getMessage());
            assertTrue(e.getCause().getMessage().contains("connection was lost"), e.getCause().getMessage());
            assertGone(Long.parseLong(Files.readString(pidFile).trim()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailingOutputStreamFailsThatCommandOnly() {
        RemoteHost host = connect();
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }
        };

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> host.exec("echo something", TIMEOUT, null, broken, OutputStream.nullOutputStream()));

        assertTrue(e.getMessage().contains("disk full"), e.getMessage());
        assertTrue(host.isOpen());
        assertEquals("still here\n", host.exec("echo still here", TIMEOUT).stdout());
    }

    @Test
    void runsCommandsConcurrentlyOverOneSession() throws Exception {
        RemoteHost host = connect();
        int count = 6;
        Path arrived = Files.createDirectory(tmp.resolve("arrived"));
        List<Callable<ExecResult>> commands = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // Each command waits until all have started: they can only all finish if they run at the same time.
            String command = "touch " + sh(arrived.resolve("c" + i)) + "; for t in $(seq 1 300); do"
                    + " [ $(ls " + sh(arrived) + " | wc -l) -ge " + count + " ] && { echo c" + i + "; exit 0; };"
                    + " sleep 0.05; done; exit 9";
            commands.add(() -> host.exec(command, TIMEOUT));
        }
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            List<Future<ExecResult>> results = pool.invokeAll(commands, 30, TimeUnit.SECONDS);
            for (int i = 0; i < count; i++) {
                ExecResult result = results.get(i).get();
                assertEquals(0, result.exitCode(), "command " + i);
                assertEquals("c" + i + "\n", result.stdout());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void connectReusesTheOpenSessionForTheSameAlias() {
        RemoteHost first = connect();
        RemoteHost second = connect();

        assertSame(first, second);
        assertEquals(first.exec("echo $SSH_CONNECTION", TIMEOUT).stdout(),
                second.exec("echo $SSH_CONNECTION", TIMEOUT).stdout(), "one TCP connection");
        assertEquals(ALIAS, first.id());
    }

    @Test
    void disconnectClosesTheSessionAndTheNextConnectOpensANewOne() {
        RemoteHost first = connect();
        String firstConnection = first.exec("echo $SSH_CONNECTION", TIMEOUT).stdout();

        connector.disconnect(ALIAS);

        assertFalse(first.isOpen());
        CgrenderException e = assertThrows(CgrenderException.class, () -> first.exec("true", TIMEOUT));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        RemoteHost second = connect();
        assertNotSame(first, second);
        assertTrue(second.isOpen());
        assertNotEquals(firstConnection, second.exec("echo $SSH_CONNECTION", TIMEOUT).stdout());
    }

    @Test
    void aSessionClosedByItsHolderIsReplacedOnTheNextConnect() {
        RemoteHost first = connect();
        first.close();

        RemoteHost second = connect();

        assertNotSame(first, second);
        assertEquals(0, second.exec("true", TIMEOUT).exitCode());
    }

    @Test
    void connectAfterCloseIsRefused() {
        connector.close();

        assertThrows(IllegalStateException.class, this::connect);
    }
}
