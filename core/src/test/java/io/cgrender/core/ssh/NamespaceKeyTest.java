package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ui.Progress;
import io.cgrender.testkit.LocalSshd;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.ProcessRace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamespaceKeyTest {

    private static final Namespace NAMESPACE = Namespace.parse("/alice/renders/", "alice");

    @TempDir
    Path tmp;

    @Test
    void createdOnFirstUseReadableOnlyByItsOwner() throws IOException {
        Path keys = tmp.resolve("config/keys");

        NamespaceKey key = NamespaceKey.loadOrCreate(keys, NAMESPACE);

        assertEquals(keys.resolve(NAMESPACE.encoded()), key.privateKeyFile());
        assertEquals("rw-------", mode(key.privateKeyFile()));
        assertEquals("rwx------", mode(keys));
        assertTrue(key.publicKeyLine().startsWith("ssh-ed25519 "), key.publicKeyLine());
        assertEquals(key.publicKeyLine(), fields(Files.readString(KeyFiles.publicKeyFile(key.privateKeyFile()))));
    }

    @Test
    void theSecondLoadReusesTheKey() {
        Path keys = tmp.resolve("keys");
        NamespaceKey first = NamespaceKey.loadOrCreate(keys, NAMESPACE);

        NamespaceKey second = NamespaceKey.loadOrCreate(keys, NAMESPACE);

        assertEquals(first.publicKeyLine(), second.publicKeyLine());
        assertEquals(first.fingerprint(), second.fingerprint());
    }

    @Test
    void openSshReadsTheKeyFile() {
        LocalSshd.assumeAvailable();
        NamespaceKey key = NamespaceKey.loadOrCreate(tmp.resolve("keys"), NAMESPACE);

        OsCommand.Result derived = OsCommand.run(Duration.ofSeconds(20), "ssh-keygen", "-y", "-f",
                key.privateKeyFile().toString()).requireSuccess();

        assertEquals(key.publicKeyLine(), fields(derived.stdout()));
    }

    @Test
    void aServerThatHoldsThePublicHalfLetsTheKeyIn() {
        NamespaceKey key = NamespaceKey.loadOrCreate(tmp.resolve("keys"), NAMESPACE);
        try (LocalSshd box = LocalSshd.start();
             MinaSshConnector connector = new MinaSshConnector(new KnownHosts(tmp.resolve("known_hosts")))) {
            box.authorize(key.publicKeyLine());
            HostKeyFingerprint hostKey = HostKeyFingerprint.parse(box.hostKeyFingerprint());
            SshTarget target = new SshTarget("l-1", new io.cgrender.core.cloud.SshEndpoint(LocalSshd.HOST,
                    box.port(), box.user()), key.keyPair(), () -> java.util.Set.of(hostKey));

            RemoteHost host = connector.connect(target, Duration.ofSeconds(20), Progress.NONE);

            assertEquals(0, host.exec("true", Duration.ofSeconds(20)).exitCode());
        }
    }

    @Test
    void aKeyOthersCanReadIsRefusedWithTheFix() throws IOException {
        Path keys = tmp.resolve("keys");
        NamespaceKey key = NamespaceKey.loadOrCreate(keys, NAMESPACE);
        Files.setPosixFilePermissions(key.privateKeyFile(), PosixFilePermissions.fromString("rw-r-----"));

        CgrenderException e = assertThrows(CgrenderException.class, () -> NamespaceKey.loadOrCreate(keys, NAMESPACE));

        assertTrue(e.getMessage().contains(key.privateKeyFile() + " must be readable and writable by its owner only"
                + " (mode rw-r-----)"), e.getMessage());
        assertEquals(java.util.Optional.of("fix: chmod 600 " + Shell.quote(key.privateKeyFile().toString())), e.hint());
    }

    @Test
    void processesMakingTheKeyAtOnceAllGetTheSameOneWithItsPublicHalf() throws IOException {
        Path keys = tmp.resolve("config/keys");
        int processes = 6;

        List<ProcessRace.Result> results = ProcessRace.of(processes, Duration.ofSeconds(90))
                .run(LoadNamespaceKey.class, keys.toString(), NAMESPACE.toString());

        Path file = keys.resolve(NAMESPACE.encoded());
        String expected = "fingerprint " + KeyFiles.fingerprint(KeyFiles.read(file).getPublic()) + "\npub matches\n";
        for (ProcessRace.Result r : results) {
            assertEquals(0, r.exitCode(), r.toString());
            assertEquals(expected, r.stdout(), "every process uses the key on file: " + r);
            assertEquals(List.of(), r.stderr().lines().filter(l -> !l.startsWith("SLF4J")).toList(), r.toString());
        }
        assertEquals("rw-------", mode(file));
        assertEquals("rw-r--r--", mode(KeyFiles.publicKeyFile(file)));
        try (Stream<Path> left = Files.list(keys)) {
            assertEquals(Set.of(file.getFileName().toString(), file.getFileName() + ".pub",
                    file.getFileName() + ".lock"), left.map(p -> p.getFileName().toString()).collect(
                    Collectors.toSet()), "no temporary files are left");
        }
    }

    @Test
    void aMissingOrStalePublicHalfIsWrittenAgain() throws IOException {
        Path keys = tmp.resolve("keys");
        NamespaceKey key = NamespaceKey.loadOrCreate(keys, NAMESPACE);
        Path pub = KeyFiles.publicKeyFile(key.privateKeyFile());

        Files.delete(pub);
        NamespaceKey.loadOrCreate(keys, NAMESPACE);
        assertEquals(key.publicKeyLine(), fields(Files.readString(pub)));

        Files.writeString(pub, KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic()) + " other\n");
        NamespaceKey.loadOrCreate(keys, NAMESPACE);
        assertEquals(key.publicKeyLine(), fields(Files.readString(pub)));
        assertEquals("rw-r--r--", mode(pub));
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    /** "type base64" of an OpenSSH public key line, without its comment. */
    private static String fields(String publicKeyLine) {
        String[] parts = publicKeyLine.trim().split("\\s+");
        return parts[0] + " " + parts[1];
    }
}
