package io.cgrender.cli;

import io.cgrender.ec2.testkit.MotoStandins;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bringing your own instance: {@code create --instance-id ID --identity PEM --login-user USER} on an instance the user
 * launched with a key pair of their own, against moto with a real sshd stand-in that lets in only its own user with
 * that key. Where its first host key comes from ({@code cgrender.ec2.host-keys}, then {@code ~/.ssh/known_hosts} under
 * {@code HostKeyAlias=ID}, then the console), that the first witness that knows the instance decides alone, and that
 * the key is remembered per instance for {@code ssh}, {@code rsync} and {@code run}.
 */
class Ec2AdoptionEndToEndTest {

    private static final Duration TOOL = Duration.ofSeconds(30);
    private static final String KEY_PAIR = "my-laptop";

    private Ec2Cli user;
    private Cli cli;
    private Path pem;
    private String pemFingerprint;

    @BeforeEach
    void start() throws IOException {
        user = new Ec2Cli();
        cli = user.cli;
        user.configure("cgrender.box.idle-timeout = 20m\n");
        // The user's own key pair, as EC2 hands one out: an RSA private key in PEM, mode 0600.
        Files.createDirectories(cli.root().resolve("home/.ssh"));
        pem = cli.root().resolve("keys/my-laptop.pem");
        Files.createDirectories(pem.getParent());
        OsCommand.run(TOOL, "ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-m", "PEM", "-N", "", "-C", "me",
                "-f", pem.toString()).requireSuccess();
        assertTrue(Files.readString(pem).startsWith("-----BEGIN RSA PRIVATE KEY-----"), "a PEM key, as EC2 gives");
        Files.setPosixFilePermissions(pem, PosixFilePermissions.fromString("rw-------"));
        String publicKey = read(pem + ".pub");
        user.ec2.importKeyPair(r -> r.keyName(KEY_PAIR).publicKeyMaterial(SdkBytes.fromUtf8String(publicKey)));
        pemFingerprint = OsCommand.run(TOOL, "ssh-keygen", "-l", "-E", "sha256", "-f", pem + ".pub").requireSuccess()
                .stdout().split("\\s+")[1];
    }

    @AfterEach
    void stop() throws IOException {
        if (user != null) {
            for (String id : user.live().stream().map(i -> i.instanceId()).toList()) {
                user.ec2.terminateInstances(r -> r.instanceIds(id));
            }
            user.close();
        }
    }

    @Test
    void anInstanceOfTheUsersOwnKeyPairAndUserIsAdoptedWithItsHostKeyFromKnownHostsAndThenTakesTheNamespaceKey()
            throws IOException {
        String id = myInstance(false);
        String login = Standins.userOf(id);
        // What `ssh -o HostKeyAlias=ID -o HashKnownHosts=yes` leaves in ~/.ssh/known_hosts: a hashed name.
        Path knownHosts = userKnownHosts();
        Files.writeString(knownHosts, "github.com " + otherKeyLine() + "\n" + id + " " + Standins.hostKeyLine(id)
                + "\n");
        OsCommand.run(TOOL, "ssh-keygen", "-q", "-H", "-f", knownHosts.toString()).requireSuccess();
        assertFalse(Files.readString(knownHosts).contains(id), "hashed");

        // a colleague's key registered in the namespace: the adopted instance, whose agent cannot read the
        // namespace's keys without cgrender's instance profile, gets it at adoption
        Path colleague = cli.root().resolve("colleague");
        OsCommand.run(TOOL, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", colleague.toString())
                .requireSuccess();
        cli.ok("register-key", "colleague", colleague + ".pub");

        Cli.Result adopt = cli.ok("create", "echo-box", "--instance-id", id, "--identity", pem.toString(),
                "--login-user", login);
        assertEquals(id, adopt.out().strip(), adopt.toString());
        assertTrue(adopt.err().contains("host key of " + id + " from ~/.ssh/known_hosts (HostKeyAlias=" + id + "): "
                + fingerprint(Standins.hostKeyLine(id))), adopt.toString());
        assertTrue(adopt.err().contains("authorized 2 key(s) of /"), adopt.toString());
        assertFalse(adopt.err().contains("was launched with key pair"), "no warning: the user gave the key it takes");
        assertFalse(adopt.err().contains(Files.readString(pem).lines().skip(1).findFirst().orElseThrow()),
                "the private key is never printed");
        assertTrue(Standins.sshdLog(id).contains("Accepted publickey for " + login + " from 127.0.0.1"),
                Standins.sshdLog(id));
        assertTrue(Standins.sshdLog(id).contains(pemFingerprint), "the first login is with the user's key");
        assertEquals(login, tags(id).get("cgrender:login-user"));
        assertEquals("true", tags(id).get("cgrender:adopted"));
        assertTrue(read(cgrenderKnownHosts()).contains(id + " " + Standins.hostKeyLine(id)), "pinned as always");
        String authorized = read(authorizedKeys(id));
        assertTrue(authorized.startsWith(read(pem + ".pub").strip() + "\n"), "the user's key stays: " + authorized);
        assertTrue(authorized.contains(namespaceKeyLine()), "and the namespace's joins it: " + authorized);
        assertTrue(authorized.contains(read(colleague + ".pub").split("\\s+")[1] + " cgrender key colleague"),
                "and the registered key: " + authorized);
        assertEquals(1, Standins.home(id).map(h -> count(h.resolve("setup-runs"), "setup")).orElseThrow());

        // Later sessions log in with the namespace's key alone: the PEM is neither given nor remembered.
        Cli.Result ssh = cli.ok("ssh", id, "--", "cat", "setup-runs");
        assertEquals("setup\n", ssh.out(), ssh.toString());
        assertTrue(lastLogin(id).contains(fingerprint(namespaceKeyLine())), lastLogin(id));

        // Adopting it again changes nothing in authorized_keys.
        cli.ok("create", "echo-box", "--instance-id", id, "--identity", pem.toString(), "--login-user", login);
        assertEquals(authorized, read(authorizedKeys(id)));
    }

    @Test
    void saveDefaultsRemembersTheIdentityOfTheInstanceForSshRsyncAndRun() throws IOException {
        String id = myInstance(false);
        String login = Standins.userOf(id);
        Files.writeString(userKnownHosts(), id + " " + Standins.hostKeyLine(id) + "\n");
        cli.ok("create", "echo-box", "--instance-id", id, "--identity", pem.toString(), "--login-user", login,
                "--save-defaults");
        String defaults = read(cli.configDir().resolve("defaults.conf"));
        assertTrue(defaults.contains(id) && defaults.contains(pem.toString()), defaults);
        assertFalse(defaults.contains("PRIVATE KEY"), "a path, never key material: " + defaults);

        // The namespace's key is taken off the instance again (say, its authorized_keys was reset): only the
        // user's key gets in now.
        Path authorizedKeys = authorizedKeys(id);
        Files.writeString(authorizedKeys, read(pem + ".pub"));
        cli.env().put("PWD", cli.root().toString());

        Cli.Result ssh = cli.ok("ssh", id, "--", "cat", "setup-runs");
        assertEquals("setup\n", ssh.out(), ssh.toString());
        assertTrue(lastLogin(id).contains(pemFingerprint), "with the remembered key: " + lastLogin(id));
        Path fetched = cli.root().resolve("fetched");
        Cli.Result rsync = cli.ok("rsync", id, "-a", ":setup-runs", fetched.toString());
        assertEquals("setup\n", read(fetched.toString()), rsync.toString());
        Cli.Result run = cli.ok("run", "echo-box", "--", "cat", "setup-runs");
        assertEquals("setup\n", run.out(), run.toString());
        assertTrue(run.err().contains(id), "on the adopted box, the only one of its role: " + run);

        Files.delete(cli.configDir().resolve("defaults.conf"));
        Cli.Result forgotten = cli.run("ssh", id, "--", "true");
        assertEquals(1, forgotten.code(), forgotten.toString());
        assertTrue(forgotten.err().contains("did not accept the key"), forgotten.toString());
        assertEquals("", cli.ok("ssh", "--identity", pem.toString(), id, "--", "true").out(), "given once");
    }

    @Test
    void theConfiguredHostKeyComesBeforeKnownHostsAndTheFirstThatKnowsTheInstanceDecidesAlone() throws IOException {
        String first = myInstance(false);
        String second = myInstance(false);
        String wrong = otherKeyLine();
        Files.writeString(userKnownHosts(), first + " " + wrong + "\n" + second + " " + Standins.hostKeyLine(second)
                + "\n");
        user.configure("cgrender.box.idle-timeout = 20m\ncgrender.ec2.host-keys {\n  \"" + first + "\" = \""
                + Standins.hostKeyLine(first) + "\"\n  \"" + second + "\" = \"" + fingerprint(wrong) + "\"\n}\n");

        Cli.Result adopted = cli.ok("create", "echo-box", "--instance-id", first, "--identity", pem.toString(),
                "--login-user", Standins.userOf(first));
        assertTrue(adopted.err().contains("host key of " + first + " from cgrender.ec2.host-keys.\"" + first + "\""),
                "the setting wins over a wrong line in known_hosts: " + adopted);

        String before = read(authorizedKeys(second));
        Cli.Result refused = cli.run("create", "echo-box", "--instance-id", second, "--identity", pem.toString(),
                "--login-user", Standins.userOf(second));
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.err().contains("refusing the host key of " + second) && refused.err().contains(
                "but cgrender.ec2.host-keys.\"" + second + "\" vouches only for " + fingerprint(wrong)),
                "the setting decides, though known_hosts has the right key: " + refused);
        handedBackUntouched(second, before);
    }

    @Test
    void aWrongKeyInKnownHostsIsRefusedEvenThoughTheConsoleShowsTheRightOne() throws IOException {
        String id = myInstance(true);
        String wrong = otherKeyLine();
        Files.writeString(userKnownHosts(), id + " " + wrong + "\n");
        String before = read(authorizedKeys(id));

        Cli.Result r = cli.run("create", "echo-box", "--instance-id", id, "--identity", pem.toString(),
                "--login-user", Standins.userOf(id));
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("host key of " + id + " from ~/.ssh/known_hosts (HostKeyAlias=" + id + "): "
                + fingerprint(wrong)), r.toString());
        assertTrue(r.err().contains("but ~/.ssh/known_hosts (HostKeyAlias=" + id + ") vouches only for "
                + fingerprint(wrong)) && r.err().contains("correct ~/.ssh/known_hosts"), r.toString());
        handedBackUntouched(id, before);
    }

    @Test
    void withNoHostKeyFromAnyWitnessAdoptionIsRefusedBeforeConnectingWithHowToSupplyIt() throws IOException {
        user.configure("cgrender.box.idle-timeout = 20m\ncgrender.timeouts.ssh = 2s\n");
        String id = myInstance(false);
        String before = read(authorizedKeys(id));

        Cli.Result r = cli.run("create", "echo-box", "--instance-id", id, "--identity", pem.toString(),
                "--login-user", Standins.userOf(id));
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("\nerror: no SSH host key of " + id + " is known"), r.toString());
        assertTrue(r.err().contains("cgrender.ec2.host-keys.\"" + id + "\" is not set, ~/.ssh/known_hosts has no entry"),
                r.toString());
        assertTrue(r.err().contains("\nfix: pin its key in $XDG_CONFIG_HOME/cgrender/cgrender.conf:"
                + " cgrender.ec2.host-keys { \"" + id + "\" = \"SHA256:…\" }"), r.toString());
        assertFalse(Standins.sshdLog(id).contains("publickey"), "never tried to log in: " + Standins.sshdLog(id));
        handedBackUntouched(id, before);
    }

    @Test
    void badIdentitiesAndOptionsAreRefusedWithExitTwoAndTheInstanceUntouched() throws IOException {
        String id = user.ec2.runInstances(r -> r.imageId("ami-785db401").instanceType("t3.micro").minCount(1)
                .maxCount(1).keyName(KEY_PAIR)).instances().get(0).instanceId();
        Files.setPosixFilePermissions(pem, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result loose = cli.run("create", "echo-box", "--instance-id", id, "--identity", pem.toString());
        assertEquals(2, loose.code(), loose.toString());
        assertTrue(loose.err().startsWith("error: the SSH key " + pem + " must be readable and writable by its owner"
                + " only (mode rw-r--r--) (--identity)"), loose.toString());
        assertTrue(loose.err().contains("\nfix: chmod 600 " + pem), loose.toString());
        Files.setPosixFilePermissions(pem, PosixFilePermissions.fromString("r--------"));

        refused(cli.run("create", "echo-box", "--instance-id", id, "--identity", pem + ".pub"),
                "it is a public key");
        refused(cli.run("create", "echo-box", "--instance-id", id, "--identity", cli.root().resolve("none").toString()),
                "does not exist");
        refused(cli.run("create", "echo-box", "--identity", pem.toString()), "--identity and --login-user are for"
                + " adopting an instance you made: they go with --instance-id");
        refused(cli.run("create", "echo-box", "--instance-id", id, "--login-user", "no body"), "is not a user name");
        Files.setPosixFilePermissions(pem, PosixFilePermissions.fromString("rw-rw----"));
        refused(cli.run("ssh", "--identity", pem.toString(), id, "--", "true"), "readable and writable by its owner");
        assertTrue(tags(id).keySet().stream().noneMatch(k -> k.startsWith("cgrender:")), tags(id).toString());
        assertEquals(List.of(), cli.boxIds());
    }

    @Test
    void aKeyOfTheUsersOwnIsNotOfferedToABoxCgrenderLaunched() {
        String box = cli.ok("create", "echo-box").out().strip();
        Cli.Result ssh = cli.ok("ssh", "--identity", pem.toString(), box, "--", "true");
        assertTrue(ssh.err().contains("ignoring --identity: box " + box + " was launched by cgrender and accepts the"
                + " namespace's key"), ssh.toString());
        assertFalse(Standins.sshdLog(box).contains(pemFingerprint), "never offered: " + Standins.sshdLog(box));
    }

    // ---------------------------------------------------------------- helpers

    /**
     * An instance the user launched with their own key pair, whose image logs in as a user of its own; its stand-in
     * exists when this returns (so its host key is known), and prints the host keys on its console only if asked.
     */
    private String myInstance(boolean consoleShowsHostKeys) {
        String id = user.ec2.runInstances(r -> r.imageId("ami-785db401").instanceType("t3.micro").minCount(1)
                .maxCount(1).keyName(KEY_PAIR).tagSpecifications(t -> t.resourceType("instance")
                        .tags(Tag.builder().key("Name").value("my box").build()))).instances().get(0).instanceId();
        Standins.ownLoginUserNext();
        if (!consoleShowsHostKeys) {
            Standins.printNoHostKeysNext();
        }
        String console = new MotoStandins().consoleOutput(user.ec2, id);
        assertEquals(consoleShowsHostKeys, console.contains("BEGIN SSH HOST KEY FINGERPRINTS"), console);
        return id;
    }

    /** A failed adoption leaves the instance running, without cgrender's tags, its authorized_keys as they were. */
    private void handedBackUntouched(String id, String authorizedBefore) throws IOException {
        assertEquals("running", user.instance(id).state().nameAsString());
        assertEquals(Map.of("Name", "my box"), tags(id));
        assertEquals(authorizedBefore, read(authorizedKeys(id)));
        assertFalse(Files.exists(cgrenderKnownHosts()) && read(cgrenderKnownHosts()).contains(id), "nothing pinned");
    }

    private void refused(Cli.Result r, String fragment) {
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(fragment), r.toString());
    }

    private Map<String, String> tags(String id) {
        return user.instance(id).tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
    }

    private Path userKnownHosts() {
        return cli.root().resolve("home/.ssh/known_hosts");
    }

    private Path cgrenderKnownHosts() {
        return cli.configDir().resolve("known_hosts");
    }

    private static Path authorizedKeys(String id) {
        return Standins.home(id).orElseThrow().resolve(".ssh/authorized_keys");
    }

    private String namespaceKeyLine() throws IOException {
        try (Stream<Path> keys = Files.list(cli.configDir().resolve("keys"))) {
            Path pub = keys.filter(p -> p.toString().endsWith(".pub")).findFirst().orElseThrow();
            String[] fields = read(pub.toString()).split("\\s+");
            return fields[0] + " " + fields[1];
        }
    }

    /** The sshd log's last accepted login. */
    private static String lastLogin(String id) {
        return Standins.sshdLog(id).lines().filter(l -> l.contains("Accepted publickey")).reduce((a, b) -> b)
                .orElse("");
    }

    private String otherKeyLine() throws IOException {
        Path key = cli.root().resolve("other-" + System.nanoTime());
        OsCommand.run(TOOL, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()).requireSuccess();
        String[] fields = read(key + ".pub").split("\\s+");
        return fields[0] + " " + fields[1];
    }

    private static String fingerprint(String keyLine) {
        return io.cgrender.core.ssh.HostKeyFingerprint.ofPublicKeyLine(keyLine).toString();
    }

    private static long count(Path file, String line) {
        try {
            return Files.readAllLines(file).stream().filter(line::equals).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String read(Object path) throws IOException {
        return Files.readString(Path.of(path.toString()));
    }
}
