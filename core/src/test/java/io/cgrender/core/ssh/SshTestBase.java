package io.cgrender.core.ssh;

import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ui.Progress;
import io.cgrender.testkit.LocalSshd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One real OpenSSH server per test class, a client key it accepts, and per test a fresh known_hosts file and
 * connector.
 */
abstract class SshTestBase {

    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final String ALIAS = "l-0a1b2c";

    static LocalSshd sshd;
    static KeyPair clientKey;
    static HostKeyFingerprint hostKeyFingerprint;

    @TempDir
    Path tmp;
    KnownHosts knownHosts;
    MinaSshConnector connector;

    @BeforeAll
    static void startSshd() {
        sshd = LocalSshd.start();
        clientKey = KeyFiles.generateEd25519();
        sshd.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
        hostKeyFingerprint = HostKeyFingerprint.parse(sshd.hostKeyFingerprint());
    }

    @AfterAll
    static void stopSshd() {
        if (sshd != null) {
            sshd.close();
            sshd = null;
        }
    }

    @BeforeEach
    void newConnector() {
        knownHosts = new KnownHosts(tmp.resolve("config/known_hosts"));
        connector = new MinaSshConnector(knownHosts);
    }

    @AfterEach
    void closeConnector() {
        if (connector != null) {
            connector.close();
        }
    }

    /** A target the cloud vouches for with the server's real fingerprint. */
    static SshTarget target(String alias) {
        return target(alias, () -> Set.of(hostKeyFingerprint));
    }

    static SshTarget target(String alias, Supplier<Set<HostKeyFingerprint>> trusted) {
        return target(alias, sshd.port(), clientKey, trusted);
    }

    static SshTarget target(String alias, int port, KeyPair identity, Supplier<Set<HostKeyFingerprint>> trusted) {
        return new SshTarget(alias, new SshEndpoint(LocalSshd.HOST, port, sshd.user()), identity, trusted);
    }

    RemoteHost connect() {
        return connector.connect(target(ALIAS), TIMEOUT, Progress.NONE);
    }
}
