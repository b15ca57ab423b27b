package io.cgrender.core.ssh;

import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ui.Progress;
import io.cgrender.testkit.LocalSshd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A "box" for tests of code that works over SSH: a real OpenSSH server on 127.0.0.1 ({@link LocalSshd}), a client
 * key it accepts and a {@link MinaSshConnector} that verifies its host key like production code does.
 * <p>
 * The server logs in as the user running the tests, so the box's home is this user's real home: tests work in
 * directories {@link #newRemoteDir()} hands out under {@code ~/.cgrender-test/}, which {@link #close()} removes.
 */
public final class LoopbackBox implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(20);
    public static final String ALIAS = "loopback-box";
    private static final String SCRATCH_ROOT = ".cgrender-test";

    private final LocalSshd sshd;
    private final KeyPair clientKey;
    private final HostKeyFingerprint hostKey;
    private final KnownHosts knownHosts;
    private final Path home = Path.of(System.getProperty("user.home"));
    private final List<Path> scratch = new ArrayList<>();
    private MinaSshConnector connector;

    private LoopbackBox(LocalSshd sshd, Path stateDir) {
        this.sshd = sshd;
        this.clientKey = KeyFiles.generateEd25519();
        sshd.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
        this.hostKey = HostKeyFingerprint.parse(sshd.hostKeyFingerprint());
        this.knownHosts = new KnownHosts(stateDir.resolve("known_hosts"));
        this.connector = new MinaSshConnector(knownHosts);
    }

    /** Starts the server (skipping the calling test without OpenSSH); client state goes in {@code stateDir}. */
    public static LoopbackBox start(Path stateDir) {
        LocalSshd sshd = LocalSshd.start();
        try {
            return new LoopbackBox(sshd, stateDir);
        } catch (RuntimeException e) {
            sshd.close();
            throw e;
        }
    }

    /** The open session to the box, opened if needed. */
    public RemoteHost connect() {
        return connect(sshd.port());
    }

    /** The open session to the box, opened if needed through {@code port} on 127.0.0.1 (e.g. a proxy's). */
    public RemoteHost connect(int port) {
        SshTarget target = new SshTarget(ALIAS, new SshEndpoint(LocalSshd.HOST, port, sshd.user()), clientKey,
                () -> Set.of(hostKey));
        return connector.connect(target, TIMEOUT, Progress.NONE);
    }

    /** Closes the session, as a client that goes away does. */
    public void disconnect() {
        connector.disconnect(ALIAS);
    }

    /** Closes the connector and opens another: what a later client process does. */
    public void newClient() {
        connector.close();
        connector = new MinaSshConnector(knownHosts);
    }

    public LocalSshd sshd() {
        return sshd;
    }

    /** The box's home directory, as seen from here (it is this machine). */
    public Path home() {
        return home;
    }

    /** A fresh directory name on the box, relative to its home; removed by {@link #close()}. Not created. */
    public String newRemoteDir() {
        String dir = SCRATCH_ROOT + "/" + UUID.randomUUID();
        scratch.add(home.resolve(dir));
        return dir;
    }

    /** Where {@code remote} (relative to the box's home) is, seen from here. */
    public Path local(String remote) {
        return home.resolve(remote);
    }

    /** Closes the client, stops the server and removes the scratch directories. */
    @Override
    public void close() {
        try {
            connector.close();
            sshd.close();
        } finally {
            scratch.forEach(LoopbackBox::deleteTree);
            try {
                Files.deleteIfExists(home.resolve(SCRATCH_ROOT));
            } catch (DirectoryNotEmptyException stillUsed) {
                // another test run's scratch directory: it removes its own
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Deletes {@code root} and everything under it, if it exists. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
