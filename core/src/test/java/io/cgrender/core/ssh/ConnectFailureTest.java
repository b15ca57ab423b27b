package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Progress;
import io.cgrender.testkit.FreePort;
import io.cgrender.testkit.LocalSshd;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectFailureTest extends SshTestBase {

    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstRetry = new CountDownLatch(1);
    private final Progress progress = new Progress() {
        @Override
        public void waiting(String stage, Duration elapsed, Duration timeout, String detail) {
            seen.add(stage + ": " + detail);
            firstRetry.countDown();
        }

        @Override
        public void step(String message) {
        }
    };

    @Test
    void aRefusedKeyFailsAtOnceAndIsNotRetried() {
        KeyPair stranger = KeyFiles.generateEd25519();
        long start = System.nanoTime();

        CgrenderException e = assertThrows(CgrenderException.class, () -> connector.connect(
                target(ALIAS, sshd.port(), stranger, () -> Set.of(hostKeyFingerprint)), Duration.ofSeconds(60),
                progress));

        assertFalse(e instanceof HostKeyRejectedException, e.toString());
        assertTrue(e.getMessage().startsWith("cannot log in to " + ALIAS + " as " + sshd.user() + "@127.0.0.1:"
                + sshd.port()), e.getMessage());
        assertTrue(e.getMessage().contains(KeyFiles.fingerprint(stranger.getPublic()).toString()), e.getMessage());
        assertTrue(elapsed(start).compareTo(Duration.ofSeconds(10)) < 0, "failed after " + elapsed(start));
        assertEquals(List.of(), seen, "no retries");
    }

    @Test
    void aClosedPortIsRetriedUntilTheTimeoutAndTheErrorNamesTheAddress() {
        int port = FreePort.find();
        long start = System.nanoTime();

        CgrenderException e = assertThrows(CgrenderException.class, () -> connector.connect(
                target(ALIAS, port, clientKey, () -> Set.of(hostKeyFingerprint)), Duration.ofSeconds(2), progress));

        Duration took = elapsed(start);
        assertTrue(took.compareTo(Duration.ofSeconds(2)) >= 0 && took.compareTo(Duration.ofSeconds(10)) < 0,
                "took " + took);
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        assertTrue(seen.size() >= 2, "retried: " + seen);
        assertTrue(seen.get(0).startsWith("waiting for SSH on " + ALIAS + " ("), seen.get(0));
    }

    @Test
    void connectWaitsForAServerThatIsRestarting() throws Exception {
        try (LocalSshd box = LocalSshd.start()) {
            box.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
            HostKeyFingerprint fingerprint = HostKeyFingerprint.parse(box.hostKeyFingerprint());
            box.stop();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<RemoteHost> connecting = pool.submit(() -> connector.connect(
                        target(ALIAS, box.port(), clientKey, () -> Set.of(fingerprint)), TIMEOUT, progress));
                assertTrue(firstRetry.await(10, TimeUnit.SECONDS), "a refused connection is retried");

                box.restart();

                RemoteHost host = connecting.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(0, host.exec("true", TIMEOUT).exitCode());
                assertTrue(seen.get(0).endsWith("connection refused"), seen.toString());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void connectRetriesConnectionsClosedBeforeTheKeyExchange() throws Exception {
        try (LocalSshd box = LocalSshd.start()) {
            box.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
            HostKeyFingerprint fingerprint = HostKeyFingerprint.parse(box.hostKeyFingerprint());
            box.stop();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try (ServerSocket hangUp = new ServerSocket()) {
                hangUp.setReuseAddress(true);
                hangUp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), box.port()));
                pool.submit(() -> acceptAndClose(hangUp));
                Future<RemoteHost> connecting = pool.submit(() -> connector.connect(
                        target(ALIAS, box.port(), clientKey, () -> Set.of(fingerprint)), TIMEOUT, progress));
                assertTrue(firstRetry.await(10, TimeUnit.SECONDS), "a connection closed before KEX is retried");
                hangUp.close();

                box.restart();

                RemoteHost host = connecting.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(0, host.exec("true", TIMEOUT).exitCode());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static void acceptAndClose(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setSoLinger(true, 0);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
