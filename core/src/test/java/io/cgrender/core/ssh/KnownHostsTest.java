package io.cgrender.core.ssh;

import io.cgrender.core.ui.Progress;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Requirement;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KnownHostsTest extends SshTestBase {

    private static final Duration TOOL = Duration.ofSeconds(20);

    @Test
    void pinReplaceAndRemoveKeepEveryoneElsesLines() throws IOException {
        Path file = tmp.resolve("known_hosts");
        String other = line(newKey());
        List<String> foreign = List.of(
                "# pinned by hand",
                "github.com " + other,
                "|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= " + other,
                "@cert-authority *.example.com " + other,
                "[10.0.0.1]:2222,10.0.0.1 " + other + " a comment",
                "");
        Files.write(file, foreign);
        KnownHosts knownHosts = new KnownHosts(file);
        PublicKey first = newKey();
        PublicKey second = newKey();

        knownHosts.pin("i-0abc", first);
        assertEquals(with(foreign, "i-0abc " + line(first)), Files.readAllLines(file));
        assertEquals(List.of(line(first)), knownHosts.keysFor("i-0abc"));

        knownHosts.pin("i-0abc", second);
        assertEquals(with(foreign, "i-0abc " + line(second)), Files.readAllLines(file));
        assertEquals(List.of(line(second)), knownHosts.keysFor("i-0abc"));

        knownHosts.pin("i-0def", first);
        knownHosts.remove("i-0abc");
        assertFalse(knownHosts.isPinned("i-0abc"));
        assertEquals(with(foreign, "i-0def " + line(first)), Files.readAllLines(file));

        knownHosts.remove("i-0abc");
        assertEquals(with(foreign, "i-0def " + line(first)), Files.readAllLines(file));
    }

    @Test
    void theUsersKnownHostsNameAnAliasPlainOrHashedButNotThroughWildcardsOrRevokedLines() throws IOException {
        Path file = tmp.resolve("user_known_hosts");
        PublicKey plain = newKey();
        PublicKey hashed = newKey();
        PublicKey wildcard = newKey();
        PublicKey revoked = newKey();
        Files.write(file, List.of(
                "i-0abc " + line(plain) + " written by ssh -o HostKeyAlias=i-0abc",
                "i-0* " + line(wildcard),
                "*,!i-0abc " + line(wildcard),
                "i-0abc,i-0def " + line(revoked),
                "@revoked i-0abc " + line(revoked),
                "@cert-authority i-0abc " + line(wildcard)));
        Path hashedFile = tmp.resolve("hashed");
        Files.write(hashedFile, List.of("i-0abc " + line(hashed)));
        // OpenSSH's own hashing (HashKnownHosts): the name is gone from the file, only its HMAC is left
        OsCommand.run(TOOL, "ssh-keygen", "-q", "-H", "-f", hashedFile.toString()).requireSuccess();
        String hashedLine = Files.readAllLines(hashedFile).get(0);
        assertTrue(hashedLine.startsWith("|1|"), hashedLine);
        Files.writeString(file, hashedLine + "\n", java.nio.file.StandardOpenOption.APPEND);

        KnownHosts user = new KnownHosts(file);
        assertEquals(List.of(line(plain), line(hashed)), user.keysNamedExactly("i-0abc"));
        assertEquals(List.of(line(revoked)), user.keysNamedExactly("I-0DEF"), "names are case-insensitive");
        assertEquals(List.of(), user.keysNamedExactly("i-0123"), "a wildcard names no one instance");
        assertEquals(List.of(), new KnownHosts(tmp.resolve("missing")).keysNamedExactly("i-0abc"));
    }

    @Test
    void badLinesAreThoseOpenSshCouldNotReadWithTheirNumbers() throws IOException {
        Path file = tmp.resolve("known_hosts");
        String key = line(newKey());
        Files.write(file, List.of(
                "# pinned by hand",
                "",
                "i-0abc " + key,
                "|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= " + key,
                "@revoked * " + key,
                "i-0def ssh-ed25519",
                "@trusted * " + key,
                "i-0123 ssh-ed25519 AAAAnot-base64"));
        List<KnownHosts.BadLine> bad = new KnownHosts(file).badLines();
        assertEquals(List.of(6, 7, 8), bad.stream().map(KnownHosts.BadLine::number).toList(), bad.toString());
        assertEquals("not 'host-names key-type key'", bad.get(0).problem());
        assertEquals("unknown marker @trusted", bad.get(1).problem());
        assertTrue(bad.get(2).problem().startsWith("not a usable OpenSSH public key"), bad.get(2).problem());
        assertEquals(List.of(), new KnownHosts(tmp.resolve("none")).badLines(), "no file, nothing bad");
    }

    @Test
    void aLineSharedWithOtherNamesKeepsThem() throws IOException {
        Path file = tmp.resolve("known_hosts");
        String key = line(newKey());
        Files.write(file, List.of("web.example.com,i-0abc,10.1.2.3 " + key + " shared"));
        KnownHosts knownHosts = new KnownHosts(file);

        assertTrue(knownHosts.isPinned("i-0abc"));
        knownHosts.remove("i-0abc");

        assertEquals(List.of("web.example.com,10.1.2.3 " + key + " shared"), Files.readAllLines(file));
        assertFalse(knownHosts.isPinned("i-0abc"));
        assertTrue(knownHosts.isPinned("web.example.com"));
    }

    @Test
    void concurrentPinsFromOneProcessAreAllKept() throws Exception {
        KnownHosts knownHosts = new KnownHosts(tmp.resolve("known_hosts"));
        int count = 8;
        List<PublicKey> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add(newKey());
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(count);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        try {
            List<java.util.concurrent.Future<?>> pins = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                pins.add(pool.submit(() -> {
                    start.await();
                    knownHosts.pin("i-" + n, keys.get(n));
                    return null;
                }));
            }
            start.countDown();
            for (java.util.concurrent.Future<?> pin : pins) {
                pin.get(20, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < count; i++) {
            assertEquals(List.of(line(keys.get(i))), knownHosts.keysFor("i-" + i));
        }
    }

    @Test
    void systemSshTrustsTheKeyOurConnectorPinned() throws IOException {
        assumeSshClient();
        connector.connect(target(ALIAS), TIMEOUT, Progress.NONE);
        connector.disconnect(ALIAS);

        OsCommand.Result ssh = systemSsh(knownHosts.file(), writeClientKey(), "echo", "hello");

        assertEquals(0, ssh.exitCode(), ssh.toString());
        assertEquals("hello\n", ssh.stdout());
    }

    @Test
    void systemSshRefusesTheServerWhenAnotherKeyIsPinned() throws IOException {
        assumeSshClient();
        knownHosts.pin(ALIAS, newKey());
        Path marker = tmp.resolve("marker");

        OsCommand.Result ssh = systemSsh(knownHosts.file(), writeClientKey(), "touch", marker.toString());

        assertNotEquals(0, ssh.exitCode(), ssh.toString());
        assertTrue(ssh.stderr().contains("Host key verification failed"), ssh.stderr());
        assertFalse(Files.exists(marker));
    }

    private OsCommand.Result systemSsh(Path knownHostsFile, Path identity, String... command) {
        List<String> argv = new ArrayList<>(List.of("ssh", "-F", "/dev/null",
                "-o", "UserKnownHostsFile=" + knownHostsFile,
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "HostKeyAlias=" + ALIAS,
                "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes",
                "-o", "IdentityAgent=none",
                "-i", identity.toString(),
                "-p", Integer.toString(sshd.port()),
                "-l", sshd.user(),
                "127.0.0.1"));
        argv.addAll(List.of(command));
        return OsCommand.run(TOOL, argv);
    }

    private Path writeClientKey() throws IOException {
        Path key = tmp.resolve("keys/id_ed25519");
        KeyFiles.write(clientKey, key, "test");
        return key;
    }

    private static void assumeSshClient() {
        Requirement.require(Files.isExecutable(Path.of("/usr/bin/ssh")),
                "the OpenSSH client (/usr/bin/ssh) is not installed");
    }

    private static PublicKey newKey() {
        return KeyFiles.generateEd25519().getPublic();
    }

    private static String line(PublicKey key) {
        return KeyFiles.publicKeyLine(key);
    }

    private static List<String> with(List<String> lines, String added) {
        List<String> result = new ArrayList<>(lines);
        result.add(added);
        return result;
    }
}
