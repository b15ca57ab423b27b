package io.cgrender.cli;

import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.CloudProviders;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.plugin.Plugins;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ui.Console;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Poll;
import io.cgrender.testkit.TestJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * register-key, list-keys, remove-key and ping as users run them, on the local cloud with real box hosts: keys made
 * with ssh-keygen, logins with the system OpenSSH client, no cgrender client connected while a change becomes live.
 */
class KeysEndToEndTest {

    private static final Duration LIVE = Duration.ofSeconds(60);

    @RegisterExtension
    final Cli cli = new Cli();

    /** A key pair as {@code ssh-keygen} makes it; returns the private key file. */
    private Path keygen(Path privateKey, String... typeArgs) {
        try {
            Files.createDirectories(privateKey.getParent());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        List<String> command = new ArrayList<>(List.of("ssh-keygen", "-q", "-N", "", "-C", "someone@elsewhere", "-f",
                privateKey.toString()));
        command.addAll(List.of(typeArgs));
        OsCommand.run(Duration.ofSeconds(60), command).requireSuccess();
        return privateKey;
    }

    private static String fingerprintOf(Path privateKey) {
        String out = OsCommand.run(Duration.ofSeconds(10), "ssh-keygen", "-l", "-E", "sha256", "-f",
                privateKey + ".pub").requireSuccess().stdout();
        return out.split(" ")[1];
    }

    /** Whether system OpenSSH gets in to {@code id} with {@code privateKey} alone, holding the box to its pin. */
    private boolean canLogIn(Path privateKey, String id) {
        String address = field(cli.ok("--json", "show", id).out(), "address");
        String port = address.substring(address.lastIndexOf(':') + 1);
        OsCommand.Result r = OsCommand.run(Duration.ofSeconds(30), "ssh", "-F", "none", "-i", privateKey.toString(),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + cli.configDir().resolve("known_hosts"), "-o", "HostKeyAlias=" + id,
                "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-p", port, "someone@127.0.0.1", "echo in");
        return r.exitCode() == 0 && r.stdout().equals("in\n");
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), name + " in " + json);
        return m.group(1);
    }

    private Path home() {
        return Path.of(cli.env().get("HOME"));
    }

    @Test
    void aNewUserRegistersTheirOwnKeyListsItAndRemovesIt() {
        Cli.Result none = cli.run("register-key", "me");
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("none of id_ed25519.pub, id_ecdsa.pub, id_rsa.pub is in " + home()
                .resolve(".ssh")), none.toString());

        Path rsa = keygen(home().resolve(".ssh/id_rsa"), "-t", "rsa", "-b", "3072");
        Path ed = keygen(home().resolve(".ssh/id_ed25519"), "-t", "ed25519");
        Cli.Result registered = cli.ok("register-key", "me");
        assertEquals(fingerprintOf(ed) + "\n", registered.out(), "prints the fingerprint ssh-keygen shows");
        assertTrue(registered.err().contains("taking " + home().resolve(".ssh/id_ed25519.pub")), registered.toString());
        assertTrue(registered.err().contains("no box of /tester/ is running"), registered.toString());

        assertEquals(0, cli.ok("register-key", "me").code(), "registering the same key again is no change");
        cli.ok("register-key", "me-rsa", rsa + ".pub");
        Cli.Result list = cli.ok("list-keys");
        List<String> lines = list.out().lines().toList();
        assertEquals(3, lines.size(), list.toString());
        assertTrue(lines.get(0).matches("NAME +TYPE +FINGERPRINT +ADDED"), list.toString());
        assertTrue(lines.get(1).matches("me +ssh-ed25519 +" + Pattern.quote(fingerprintOf(ed)) + " +20\\d\\d-.*Z"),
                list.toString());
        assertTrue(lines.get(2).matches("me-rsa +ssh-rsa +" + Pattern.quote(fingerprintOf(rsa)) + " .*"),
                list.toString());
        String json = cli.ok("--json", "list-keys").out();
        assertTrue(json.startsWith("[{\"name\":\"me\",\"type\":\"ssh-ed25519\",\"fingerprint\":\"" + fingerprintOf(ed)
                + "\",\"added_at\":\"") && json.contains("\"authorized\":true"), json);

        cli.ok("remove-key", "me");
        cli.ok("remove-key", "me-rsa");
        Cli.Result empty = cli.ok("list-keys");
        assertEquals("", empty.out(), "no header when there is nothing to list");
        assertTrue(empty.err().contains("no keys registered in /tester/"), empty.toString());
        assertEquals("[]\n", cli.ok("--json", "list-keys").out());
        Cli.Result again = cli.run("remove-key", "me");
        assertEquals(2, again.code(), again.toString());
        assertEquals("error: no key named 'me' is registered in /tester/\nsee: cgrender list-keys\n", again.err());
    }

    @Test
    void aSecondPersonsKeyRegisteredWhileTheBoxRunsGetsThemInAndRemovingItShutsThemOut() {
        String id = cli.ok("create", "echo-box").out().strip();
        Path bob = keygen(cli.root().resolve("bob/id_ed25519"), "-t", "ed25519");
        assertFalse(canLogIn(bob, id), "an unregistered key is refused");

        Cli.Result registered = cli.ok("register-key", "bob", bob + ".pub");
        assertTrue(registered.err().contains("bob's key is live on the 1 running box of /tester/ within a minute"),
                registered.toString());
        // No cgrender client is connected from here on: the box's agent does the work alone.
        assertTrue(Poll.until(LIVE, () -> canLogIn(bob, id)), "bob gets in within a minute");

        Cli.Result ping = cli.ok("ping", "echo-box");
        assertTrue(ping.out().matches(Pattern.quote(id) + " answered in \\d+ ms\n"), ping.toString());
        assertTrue(cli.ok("--json", "ping", id).out().matches("\\{\"box\":\"" + id + "\",\"round_trip_ms\":\\d+}\n"));

        Cli.Result removed = cli.ok("remove-key", "bob");
        assertTrue(removed.err().contains("the removal of bob is live on the 1 running box"), removed.toString());
        assertTrue(Poll.until(LIVE, () -> !canLogIn(bob, id)), "bob is refused once removed");
        assertEquals("in\n", cli.ok("ssh", id, "--", "echo", "in").out(), "the namespace's own key still works");
    }

    @Test
    void cgrenderKeysSelectsWhichRegisteredKeysTheBoxesAuthorize() throws IOException {
        Path conf = Files.writeString(cli.root().resolve("keys.conf"), "cgrender.keys = [alice]\n");
        Path alice = keygen(cli.root().resolve("alice/id_ecdsa"), "-t", "ecdsa", "-b", "384");
        Path bob = keygen(cli.root().resolve("bob/id_ed25519"), "-t", "ed25519");
        cli.ok("-c", conf.toString(), "register-key", "alice", alice + ".pub");
        Cli.Result unselected = cli.ok("-c", conf.toString(), "register-key", "bob", bob + ".pub");
        assertTrue(unselected.err().contains("warning: cgrender.keys [alice] does not name bob"), unselected.toString());
        assertTrue(cli.ok("-c", conf.toString(), "--json", "list-keys").out().contains(
                "\"name\":\"bob\",\"type\":\"ssh-ed25519\""));

        String id = cli.ok("-c", conf.toString(), "create", "echo-box").out().strip();
        assertTrue(canLogIn(alice, id), "alice is authorized from launch");
        assertFalse(canLogIn(bob, id), "bob is left out");
    }

    @Test
    void extendMovesTheExpiryShowReportsAtMostTheMaxLifetimeFromNow() {
        String id = cli.ok("create", "echo-box", "--lifetime", "3h").out().strip();
        Instant before = Instant.parse(field(cli.ok("--json", "show", id).out(), "expires_at"));
        try (Cloud cloud = localCloud()) {
            cloud.agents().orElseThrow().send(id, AgentCommand.extend(Duration.ofHours(2)));
        }
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> Instant.parse(field(cli.ok("--json", "show", id).out(),
                "expires_at")).isAfter(before)), cli.ok("show", id).out());
        Instant after = Instant.parse(field(cli.ok("--json", "show", id).out(), "expires_at"));
        assertTrue(after.isBefore(before.plus(Duration.ofHours(2))) && !after.isAfter(Instant.now().plus(
                Duration.ofHours(3))), "its max lifetime (3h) from when the agent took it: " + after);
    }

    /** The local cloud of this test's user, opened as cgrender opens it. */
    private Cloud localCloud() {
        Dirs dirs = new Invocation(InputStream.nullInputStream(), cli.env()).dirs();
        Settings settings = Settings.load(dirs, Optional.empty(), cli.env(), Map.of());
        return CloudProviders.discover(Plugins.builtIn()).get("local").open(new CloudContext(settings, dirs,
                Namespace.parse("/tester/", "tester"), Console.silent(), cli.env()));
    }

    @Test
    void badKeysAndNamesAreRefusedWithTheReasonAndChangeNothing() throws Exception {
        Path dir = cli.root().resolve("keys");
        Path ed = keygen(dir.resolve("id_ed25519"), "-t", "ed25519");
        Path shortRsa = keygen(dir.resolve("id_rsa_2048"), "-t", "rsa", "-b", "2048");
        KeyPairGenerator dsa = KeyPairGenerator.getInstance("DSA");
        dsa.initialize(1024);
        Path dsaPub = Files.writeString(dir.resolve("id_dsa.pub"),
                KeyFiles.publicKeyLine(dsa.generateKeyPair().getPublic()) + " old@box\n");
        Path two = Files.writeString(dir.resolve("two.pub"), Files.readString(Path.of(ed + ".pub"))
                + Files.readString(Path.of(shortRsa + ".pub")));
        Path garbage = Files.writeString(dir.resolve("garbage.pub"), "not a key at all\n");

        Map<List<String>, String> refusals = Map.of(
                List.of("register-key", "alice", ed.toString()), "is a private key: give its .pub",
                List.of("register-key", "alice", shortRsa + ".pub"), "RSA key of 2048 bits, too short",
                List.of("register-key", "alice", dsaPub.toString()), "is a DSA key",
                List.of("register-key", "alice", two.toString()), "holds 2 lines",
                List.of("register-key", "alice", garbage.toString()), "first word is 'not'",
                List.of("register-key", "alice", dir.resolve("missing.pub").toString()), "no such file",
                List.of("register-key", "Alice", ed + ".pub"), "'Alice' cannot name a key",
                List.of("register-key", "-x", ed + ".pub"), "Unknown option");
        refusals.forEach((args, reason) -> {
            Cli.Result r = cli.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.toString());
            assertEquals("", r.out(), r.toString());
            assertTrue(r.err().startsWith("error: ") && r.err().contains(reason), reason + ": " + r);
            assertTrue(r.err().lines().count() <= 2, r.toString());
        });
        assertEquals("", cli.ok("list-keys").out());
        assertFalse(Files.exists(cli.configDir().resolve("namespaces")), "nothing was written");
    }

    @Test
    void aCloudWithoutKeysOrAgentsSaysSoInOneLine() {
        String pkg = "com.example.bare";
        TestJar.plugin(pkg, "1.2")
                .source(pkg + ".BareCloudProvider", "package " + pkg + ";\n"
                        + "import io.cgrender.core.cloud.*;\n"
                        + "import java.lang.reflect.*;\n"
                        + "public class BareCloudProvider implements CloudProvider {\n"
                        + "  public String name() { return \"bare\"; }\n"
                        + "  public String description() { return \"a cloud with nothing optional\"; }\n"
                        + "  public Cloud open(CloudContext context) {\n"
                        + "    InvocationHandler h = (proxy, method, args) -> method.isDefault()\n"
                        + "        ? InvocationHandler.invokeDefault(proxy, method, args)\n"
                        + "        : method.getName().equals(\"name\") ? \"bare\"\n"
                        + "        : method.getReturnType() == java.util.List.class ? java.util.List.of()\n"
                        + "        : method.getReturnType() == java.util.Optional.class ? java.util.Optional.empty()\n"
                        + "        : null;\n"
                        + "    return (Cloud) Proxy.newProxyInstance(Cloud.class.getClassLoader(),\n"
                        + "        new Class<?>[] {Cloud.class}, h);\n"
                        + "  }\n"
                        + "}\n")
                .service("io.cgrender.core.cloud.CloudProvider", pkg + ".BareCloudProvider")
                .writeTo(cli.pluginDir().resolve("bare.jar"));
        Path ed = keygen(cli.root().resolve("k/id_ed25519"), "-t", "ed25519");
        for (String[] args : new String[][] {{"list-keys"}, {"register-key", "a", ed + ".pub"}, {"remove-key", "a"}}) {
            Cli.Result r = cli.run(concat(new String[] {"--cloud", "bare"}, args));
            assertEquals(1, r.code(), r.toString());
            assertEquals("error: the bare cloud does not support registered keys\n", r.err());
        }
        Cli.Result ping = cli.run("--cloud", "bare", "ping", "l-000000000000");
        assertEquals(1, ping.code(), ping.toString());
        assertEquals("error: the bare cloud does not support box agents\n", ping.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
