package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Progress;
import io.cgrender.testkit.LocalSshd;
import io.cgrender.testkit.OsCommand;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static io.cgrender.core.ssh.Poll.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostKeyVerificationTest extends SshTestBase {

    private static final Duration TOOL = Duration.ofSeconds(20);

    @Test
    void theFirstConnectPinsTheKeyTheCloudVouchesFor() {
        AtomicInteger asked = new AtomicInteger();

        RemoteHost host = connector.connect(target(ALIAS, counting(asked, Set.of(hostKeyFingerprint))), TIMEOUT,
                Progress.NONE);

        assertEquals(0, host.exec("true", TIMEOUT).exitCode());
        assertEquals(1, asked.get(), "the cloud is asked once");
        assertEquals(ALIAS + " " + sshd.hostKeyLine() + "\n", read(knownHosts.file()));
        OsCommand.Result found = OsCommand.run(TOOL, "ssh-keygen", "-F", ALIAS, "-f", knownHosts.file().toString());
        assertEquals(0, found.exitCode(), found.toString());
        assertTrue(found.stdout().contains(sshd.hostKeyLine()), found.stdout());
    }

    @Test
    void withAPinTheCloudIsNotAsked() {
        knownHosts.pin(ALIAS, KeyFiles.parsePublicKeyLine(sshd.hostKeyLine()));
        AtomicInteger asked = new AtomicInteger();

        RemoteHost host = connector.connect(target(ALIAS, counting(asked, Set.of())), TIMEOUT, Progress.NONE);

        assertEquals(0, host.exec("true", TIMEOUT).exitCode());
        assertEquals(0, asked.get());
    }

    @Test
    void withNoPinAndNoVouchedKeyNothingRuns() {
        Path marker = tmp.resolve("marker");
        int loginsBefore = logins(sshd);
        long start = System.nanoTime();

        HostKeyRejectedException e = assertThrows(HostKeyRejectedException.class,
                () -> connector.connect(target(ALIAS, Set::of), TIMEOUT, Progress.NONE)
                        .exec("touch " + sh(marker), TIMEOUT));

        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0,
                "a refused key is not retried until the timeout");
        assertMessageNames(e, ALIAS, hostKeyFingerprint.toString(), "vouched for none", knownHosts.file().toString());
        assertFalse(Files.exists(marker));
        assertFalse(knownHosts.isPinned(ALIAS));
        assertEquals(loginsBefore, logins(sshd), "authentication never happened");
    }

    @Test
    void aKeyTheCloudDoesNotVouchForIsRefused() {
        HostKeyFingerprint other = KeyFiles.fingerprint(KeyFiles.generateEd25519().getPublic());
        Path marker = tmp.resolve("marker");

        HostKeyRejectedException e = assertThrows(HostKeyRejectedException.class,
                () -> connector.connect(target(ALIAS, () -> Set.of(other)), TIMEOUT, Progress.NONE)
                        .exec("touch " + sh(marker), TIMEOUT));

        assertMessageNames(e, ALIAS, hostKeyFingerprint.toString(), other.toString(), "intercepting");
        assertFalse(Files.exists(marker));
        assertFalse(knownHosts.isPinned(ALIAS));
    }

    @Test
    void aChangedHostKeyIsRefusedWithBothFingerprintsAndThePinStays() {
        try (LocalSshd rebuilt = LocalSshd.start()) {
            rebuilt.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
            HostKeyFingerprint original = HostKeyFingerprint.parse(rebuilt.hostKeyFingerprint());
            SshTarget first = target(ALIAS, rebuilt.port(), clientKey, () -> Set.of(original));
            assertEquals(0, connector.connect(first, TIMEOUT, Progress.NONE).exec("true", TIMEOUT).exitCode());
            connector.disconnect(ALIAS);
            String pinned = read(knownHosts.file());

            rebuilt.replaceHostKey();
            HostKeyFingerprint replacement = HostKeyFingerprint.parse(rebuilt.hostKeyFingerprint());
            assertNotEquals(original, replacement);
            AtomicInteger asked = new AtomicInteger();
            Path marker = tmp.resolve("marker");
            SshTarget again = target(ALIAS, rebuilt.port(), clientKey, counting(asked, Set.of(replacement)));

            HostKeyRejectedException e = assertThrows(HostKeyRejectedException.class,
                    () -> connector.connect(again, TIMEOUT, Progress.NONE).exec("touch " + sh(marker), TIMEOUT));

            assertMessageNames(e, ALIAS, original.toString(), replacement.toString(), "has changed",
                    "ssh-keygen -R " + ALIAS + " -f " + knownHosts.file(), "intercepting");
            assertEquals(pinned, read(knownHosts.file()), "the pin is unchanged");
            assertEquals(0, asked.get(), "a pinned key is never overridden by what the cloud says");
            assertFalse(Files.exists(marker));
        }
    }

    @Test
    void aRevokedKeyIsRefusedEvenWhenPinnedAndOpenSshAgrees() throws Exception {
        knownHosts.pin(ALIAS, KeyFiles.parsePublicKeyLine(sshd.hostKeyLine()));
        append(knownHosts.file(), "@revoked * " + sshd.hostKeyLine() + " compromised");
        Path marker = tmp.resolve("marker");

        HostKeyRejectedException e = assertThrows(HostKeyRejectedException.class,
                () -> connector.connect(target(ALIAS), TIMEOUT, Progress.NONE).exec("touch " + sh(marker), TIMEOUT));

        assertMessageNames(e, ALIAS, hostKeyFingerprint.toString(), "@revoked", knownHosts.file().toString());
        assertFalse(Files.exists(marker));
        OsCommand.Result ssh = OsCommand.run(TOOL, "ssh", "-F", "none", "-o", "BatchMode=yes",
                "-o", "UserKnownHostsFile=" + knownHosts.file(), "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "HostKeyAlias=" + ALIAS, "-o", "StrictHostKeyChecking=yes", "-p", Integer.toString(sshd.port()),
                "-l", sshd.user(), LocalSshd.HOST, "true");
        assertTrue(ssh.stderr().contains("REVOKED"), "OpenSSH refuses it too: " + ssh);
    }

    @Test
    void aKeyRevokedForTheAliasIsNeverPinnedFromTheCloud() throws Exception {
        // The alias hashed by ssh-keygen, as in a known_hosts that hashes its names, then marked revoked.
        Path hashed = tmp.resolve("hashed");
        Files.writeString(hashed, ALIAS + " " + sshd.hostKeyLine() + "\n");
        OsCommand.run(TOOL, "ssh-keygen", "-H", "-f", hashed.toString()).requireSuccess();
        String hashedName = Files.readString(hashed).trim().split("\\s+")[0];
        assertTrue(hashedName.startsWith("|1|"), hashedName);
        for (String names : java.util.List.of(hashedName, "l-0a1b*,other", "?-0a1b2c")) {
            Files.createDirectories(knownHosts.file().getParent());
            Files.writeString(knownHosts.file(), "@revoked " + names + " " + sshd.hostKeyLine() + "\n");

            HostKeyRejectedException e = assertThrows(HostKeyRejectedException.class, this::connect, names);

            assertMessageNames(e, ALIAS, "@revoked");
            assertFalse(knownHosts.isPinned(ALIAS), names);
        }
        for (String names : java.util.List.of("i-other", "l-*,!" + ALIAS)) {
            Files.writeString(knownHosts.file(), "@revoked " + names + " " + sshd.hostKeyLine() + "\n");
            assertEquals(0, connect().exec("true", TIMEOUT).exitCode(), "revoked for other hosts only: " + names);
            connector.disconnect(ALIAS);
            knownHosts.remove(ALIAS);
        }
    }

    @Test
    void aCertAuthorityLineIsNeverTrusted() throws Exception {
        Files.createDirectories(knownHosts.file().getParent());
        Files.writeString(knownHosts.file(), "@cert-authority * " + sshd.hostKeyLine() + "\n"
                + "@cert-authority " + ALIAS + " " + sshd.hostKeyLine() + "\n");

        HostKeyRejectedException e = assertThrows(HostKeyRejectedException.class,
                () -> connector.connect(target(ALIAS, Set::of), TIMEOUT, Progress.NONE));

        assertMessageNames(e, ALIAS, "vouched for none");
        assertFalse(knownHosts.isPinned(ALIAS));
    }

    @Test
    void aPinOfAnotherKeyTypeIsAMismatchNotAnError() throws Exception {
        KeyPair rsa = KeyUtils.generateKeyPair("ssh-rsa", 2048);
        knownHosts.pin(ALIAS, rsa.getPublic());

        HostKeyRejectedException e = assertThrows(HostKeyRejectedException.class, this::connect);

        assertMessageNames(e, ALIAS, hostKeyFingerprint.toString(), KeyFiles.fingerprint(rsa.getPublic()).toString(),
                "ssh-rsa");
    }

    @Test
    void aMachineWithSeveralHostKeysIsAskedForThePinnedOne() {
        try (LocalSshd cloudLike = LocalSshd.start()) {
            cloudLike.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
            cloudLike.addHostKey("ecdsa");
            HostKeyFingerprint ed25519 = HostKeyFingerprint.parse(cloudLike.hostKeyFingerprint("ed25519"));
            HostKeyFingerprint ecdsa = HostKeyFingerprint.parse(cloudLike.hostKeyFingerprint("ecdsa"));
            Supplier<Set<HostKeyFingerprint>> notAsked = () -> {
                throw new AssertionError("the cloud is asked although a key is pinned");
            };

            // The cloud vouches for both (as cloud-init does): ed25519 is asked for and pinned.
            assertEquals(0, connector.connect(target("m-1", cloudLike.port(), clientKey, () -> Set.of(ed25519, ecdsa)),
                    TIMEOUT, Progress.NONE).exec("true", TIMEOUT).exitCode());
            assertEquals(java.util.List.of(cloudLike.hostKeyLine("ed25519")), knownHosts.keysFor("m-1"));

            // Whatever type is pinned is the one asked for, although the client would prefer another.
            for (String type : java.util.List.of("ecdsa", "ed25519")) {
                String alias = "m-" + type;
                knownHosts.pin(alias, KeyFiles.parsePublicKeyLine(cloudLike.hostKeyLine(type)));
                assertEquals(0, connector.connect(target(alias, cloudLike.port(), clientKey, notAsked), TIMEOUT,
                        Progress.NONE).exec("true", TIMEOUT).exitCode(), type);
            }
        }
    }

    @Test
    void whenTheCloudCannotSayTheConnectFailsWithItsReasonAndPinsNothing() {
        Supplier<Set<HostKeyFingerprint>> failing = () -> {
            throw new CgrenderException("no host key fingerprints in the console output of " + ALIAS + " yet");
        };

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> connector.connect(target(ALIAS, failing), TIMEOUT, Progress.NONE));

        assertTrue(e.getMessage().contains("console output"), e.getMessage());
        assertFalse(knownHosts.isPinned(ALIAS));
    }

    @Test
    void ourFingerprintOfTheServerKeyIsTheOneOpenSshPrints() {
        assertEquals(hostKeyFingerprint, KeyFiles.fingerprint(KeyFiles.parsePublicKeyLine(sshd.hostKeyLine())));
        assertEquals(hostKeyFingerprint, HostKeyFingerprint.ofPublicKeyLine(sshd.hostKeyLine()));
    }

    private static Supplier<Set<HostKeyFingerprint>> counting(AtomicInteger calls, Set<HostKeyFingerprint> answer) {
        return () -> {
            calls.incrementAndGet();
            return answer;
        };
    }

    private static void assertMessageNames(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message should name '" + part + "': " + e.getMessage());
        }
    }

    /** Successful logins sshd has logged so far. */
    private static int logins(LocalSshd server) {
        return server.log().split("Accepted publickey", -1).length - 1;
    }

    private static void append(Path file, String line) throws java.io.IOException {
        Files.writeString(file, line + "\n", java.nio.file.StandardOpenOption.APPEND);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
