package io.cgrender.testkit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalSshdTest {

    @Test
    void startsOnALoopbackPortWithItsOwnHostKey() {
        try (LocalSshd sshd = LocalSshd.start()) {
            assertTrue(sshd.isRunning());
            assertTrue(FreePort.isListening(sshd.port()));
            assertTrue(sshd.hostKeyLine().matches("ssh-ed25519 [A-Za-z0-9+/=]+"), sshd.hostKeyLine());
            assertTrue(sshd.hostKeyFingerprint().matches("SHA256:[A-Za-z0-9+/]{43}"), sshd.hostKeyFingerprint());
            assertTrue(sshd.log().contains("Server listening on 127.0.0.1 port " + sshd.port()), sshd.log());
        }
    }

    @Test
    void replacingTheHostKeyKeepsThePort() {
        try (LocalSshd sshd = LocalSshd.start()) {
            int port = sshd.port();
            String before = sshd.hostKeyFingerprint();

            sshd.replaceHostKey();

            assertEquals(port, sshd.port());
            assertTrue(sshd.isRunning());
            assertNotEquals(before, sshd.hostKeyFingerprint());
            assertTrue(FreePort.isListening(port));
        }
    }

    @Test
    void anotherHostKeyTypeCanBeAdded() {
        try (LocalSshd sshd = LocalSshd.start()) {
            String ed25519 = sshd.hostKeyLine();

            sshd.addHostKey("ecdsa");

            assertTrue(sshd.isRunning());
            assertTrue(sshd.hostKeyLine("ecdsa").startsWith("ecdsa-sha2-nistp256 "), sshd.hostKeyLine("ecdsa"));
            assertEquals(ed25519, sshd.hostKeyLine());
            assertNotEquals(sshd.hostKeyFingerprint(), sshd.hostKeyFingerprint("ecdsa"));
        }
    }

    @Test
    void stopAndRestartKeepTheKeyAndThePort() {
        try (LocalSshd sshd = LocalSshd.start()) {
            String key = sshd.hostKeyFingerprint();

            sshd.stop();
            assertFalse(sshd.isRunning());
            assertFalse(FreePort.isListening(sshd.port()));

            sshd.restart();
            assertTrue(FreePort.isListening(sshd.port()));
            assertEquals(key, sshd.hostKeyFingerprint());
        }
    }

    @Test
    void aRequestedPortIsUsed() {
        int port = FreePort.find();
        try (LocalSshd sshd = LocalSshd.start(port)) {
            assertEquals(port, sshd.port());
            assertTrue(FreePort.isListening(port));
        }
    }

    @Test
    void closeKillsTheServerAndItsSessionsAndDeletesItsFiles() throws Exception {
        Path dir;
        int port;
        LocalSshd sshd = LocalSshd.start();
        try {
            dir = sshd.dir();
            port = sshd.port();
            Path key = dir.resolve("client");
            OsCommand.run(Duration.ofSeconds(20), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                    .requireSuccess();
            sshd.authorize(Files.readString(Path.of(key + ".pub")));
            // a session that would outlive a server stopped without its children
            Process session = new ProcessBuilder("ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                    "-i", key.toString(), "-p", Integer.toString(port), "-l", sshd.user(), LocalSshd.HOST,
                    "sleep 60").redirectErrorStream(true).start();
            try {
                assertTrue(awaitSessionChild(sshd), "the session started");
            } finally {
                sshd.close();
            }
            assertTrue(session.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the session ended with sshd");
        } finally {
            sshd.close();
        }
        assertFalse(Files.exists(dir));
        assertFalse(FreePort.isListening(port));
    }

    /** Bounded wait until sshd logs the accepted login. */
    private static boolean awaitSessionChild(LocalSshd sshd) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (sshd.log().contains("Accepted publickey")) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
