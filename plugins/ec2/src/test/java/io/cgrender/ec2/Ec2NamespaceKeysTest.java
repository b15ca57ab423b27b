package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ui.Progress;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The keys an EC2 box authorizes from its first boot: the launching machine's namespace key and the registered keys
 * {@code cgrender.keys} selects, written by its user data; a second machine joining a namespace by registering its key;
 * EC2's 16 KB of user data.
 */
class Ec2NamespaceKeysTest {

    private static final Namespace NS = Namespace.parse("/pair/", null);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path temp;
    private Ec2Fixture fx;
    private final List<MinaSshConnector> connectors = new ArrayList<>();

    @BeforeEach
    void start() {
        fx = new Ec2Fixture(temp);
    }

    @AfterEach
    void stop() throws Exception {
        connectors.forEach(MinaSshConnector::close);
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void aSecondMachineIsToldToRegisterItsKeyThenLaunchesAndEveryRegisteredKeyLogsInFromTheFirstBoot()
            throws Exception {
        Standins.assumeAvailable();
        Map<String, Object> config = Map.of("cgrender.timeouts.ssh", "30s");
        Ec2Cloud laptop = fx.cloud(config, NS);
        laptop.keyPairs().ensure(NS, fx.key(NS).publicKeyLine(), fx.key(NS).privateKeyFile().toString());
        Dirs desktopDirs = new Dirs(temp.resolve("desktop/config"), temp.resolve("desktop/data"),
                temp.resolve("desktop/state"));
        Ec2Cloud desktop = fx.cloudOn(desktopDirs, config, NS);
        NamespaceKey desktopKey = NamespaceKey.loadOrCreate(desktopDirs.keys(), NS);
        LaunchSpec spec = withKey(fx.spec(NS, "probe-box"), desktopKey.publicKeyLine());

        UsageException refused = assertThrows(UsageException.class, () -> desktop.launch(spec));
        Path desktopPub = KeyFiles.publicKeyFile(desktopKey.privateKeyFile());
        assertEquals(Optional.of("fix: cgrender register-key NAME " + desktopPub), refused.hint(),
                refused.getMessage());
        assertFalse(refused.getMessage().toLowerCase().contains("copy"), refused.getMessage());
        assertEquals(List.of(), fx.liveInstances(), "nothing launched");

        KeyRegistry keys = desktop.keys().orElseThrow();
        keys.register("desktop", Files.readString(desktopPub));
        Path aliceFile = temp.resolve("alice/id_ed25519");
        Files.createDirectories(aliceFile.getParent());
        OsCommand.run(TIMEOUT, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@her-laptop", "-f",
                aliceFile.toString()).requireSuccess();
        keys.register("alice", Files.readString(KeyFiles.publicKeyFile(aliceFile)));

        Machine box = desktop.awaitRunning(desktop.launch(spec).id(), TIMEOUT, Progress.NONE);
        assertEquals("cgrender_pair_", fx.instance(box.id()).keyName(), "the namespace's key pair, as it is");

        assertEquals("desktop\n", environment(desktop, desktopDirs, desktopKey).connect(box)
                .exec("echo desktop", TIMEOUT).stdout(), "the launching machine, registered");
        assertEquals("alice\n", environment(desktop, temp.resolve("alice").resolve("config"),
                new NamespaceKey(aliceFile, KeyFiles.read(aliceFile))).connect(box).exec("echo alice", TIMEOUT)
                .stdout(), "a registered key of someone else");
        var laptopSession = fx.environment(laptop, NS).connect(box);
        assertEquals("600\n", laptopSession.exec("stat -c %a .ssh/authorized_keys", TIMEOUT).stdout(),
                "the machine whose key is the key pair's");
        List<String> lines = laptopSession.exec("cat .ssh/authorized_keys", TIMEOUT).stdout().lines().toList();
        assertEquals(3, lines.size(), "the key pair's key, then the desktop's and alice's, each once: " + lines);
        assertTrue(lines.get(0).startsWith(fx.key(NS).publicKeyLine()), lines.toString());
        assertEquals(List.of(desktopKey.publicKeyLine(), KeyFiles.publicKeyLine(KeyFiles.read(aliceFile).getPublic())),
                lines.subList(1, 3));
    }

    @Test
    void onlyTheKeysCgrenderKeysSelectsAreInTheUserData() {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.keys", List.of("alice")), NS);
        String alice = ed25519();
        String bob = ed25519();
        cloud.keys().orElseThrow().register("alice", alice);
        cloud.keys().orElseThrow().register("bob", bob);

        String userData = userData(cloud.launch(fx.spec(NS, "probe-box")).id());

        assertTrue(userData.contains("\n" + fx.key(NS).publicKeyLine() + "\n" + alice + "\nCGRENDER_KEYS\n"),
                "the launching client's key and alice's: " + userData);
        assertFalse(userData.contains(bob.split(" ")[1]), "bob's key is not selected");
        assertFalse(fx.err.toString().contains("warning"), fx.err.toString());
    }

    @Test
    void keysBeyondEc2s16KbOfUserDataAreLeftOutWithAWarningNamingThem() throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of(), NS);
        KeyRegistry keys = cloud.keys().orElseThrow();
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(3072);
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            String line = KeyFiles.publicKeyLine(rsa.generateKeyPair().getPublic());
            keys.register(String.format("rsa-%02d", i), line);
            lines.add(line);
        }

        String userData = userData(cloud.launch(fx.spec(NS, "probe-box")).id());

        int size = userData.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(size <= 16 * 1024 && size > 15 * 1024, "as many keys as fit, within 16 KB: " + size);
        int fitted = (int) lines.stream().filter(userData::contains).count();
        assertTrue(fitted >= 3 && fitted < 12, fitted + " keys fitted");
        assertTrue(lines.subList(0, fitted).stream().allMatch(userData::contains), "the first ones, by name");
        List<String> leftOut = new ArrayList<>();
        for (int i = fitted + 1; i <= 12; i++) {
            leftOut.add(String.format("rsa-%02d", i));
        }
        assertTrue(fx.err.toString().contains("warning: EC2 takes at most 16 KB of user data: the box authorizes "
                + fitted + " of the 12 registered keys cgrender.keys selects from its first boot; left out: "
                + String.join(", ", leftOut) + " (they reach the box when its agent syncs the keys)"),
                fx.err.toString());
        assertEquals(0, OsCommand.run(Duration.ofSeconds(10), "bash", "-n", "-c", userData).exitCode(), "valid bash");
    }

    private String userData(String instanceId) {
        String encoded = fx.ec2.describeInstanceAttribute(r -> r.instanceId(instanceId).attribute("userData"))
                .userData().value();
        return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }

    private static String ed25519() {
        return KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
    }

    private static LaunchSpec withKey(LaunchSpec s, String key) {
        return new LaunchSpec(s.namespace(), s.role(), s.machine(), s.tags(), key, s.idleTimeout(), s.maxLifetime(),
                s.orphanTimeout(), s.image(), s.instanceType(), s.spot());
    }

    private BoxEnvironment environment(Ec2Cloud cloud, Dirs dirs, NamespaceKey key) {
        return environment(cloud, dirs.config(), key);
    }

    /** Another machine: its own key and its own known_hosts, under {@code config}. */
    private BoxEnvironment environment(Ec2Cloud cloud, Path config, NamespaceKey key) {
        KnownHosts knownHosts = new KnownHosts(config.resolve("known_hosts"));
        MinaSshConnector ssh = new MinaSshConnector(knownHosts);
        connectors.add(ssh);
        return new BoxEnvironment(cloud, NS, key, knownHosts, ssh, cloud.context().settings(), fx.console);
    }
}
