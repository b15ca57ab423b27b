package io.cgrender.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Requirement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cgrender doctor} on the local cloud, as a user runs it: on this machine (which has what the local cloud
 * needs), then with one thing broken for real at a time — a misspelt key in the configuration, a key file others may
 * read, a known_hosts line that does not parse, a state directory that cannot be made, a plugin jar that is none.
 * Each failure comes with a fix, and running the fix as written makes the check pass.
 */
class DoctorTest {

    private static final List<String> EVERYWHERE = List.of("java", "configuration", "key files", "known_hosts",
            "plugins", "directories");
    private static final List<String> LOCAL = List.of("operating system", "openscad", "ssh", "rsync", "package work");

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void passesOnThisMachineWithOneLinePerCheck() {
        requireWhatTheLocalCloudNeeds();
        Cli.Result r = cli.run("doctor");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(EVERYWHERE.size() + LOCAL.size(), lines.size(), r.toString());
        for (int i = 0; i < lines.size(); i++) {
            String name = i < EVERYWHERE.size() ? EVERYWHERE.get(i) : LOCAL.get(i - EVERYWHERE.size());
            assertTrue(lines.get(i).startsWith("ok   " + name + ": "), "not a terminal, so 'ok': " + lines.get(i));
        }
        assertTrue(r.out().contains("ok   configuration: defaults only; cloud local, namespace /tester/, render role"
                + " openscad-ubuntu-box"), r.out());
        assertTrue(r.out().contains("ok   openscad: OpenSCAD version "), r.out());
        assertTrue(r.out().contains("ok   rsync: rsync version "), r.out());
        assertTrue(r.err().contains("doctor: every check passed"), r.err());
        assertFalse(Files.exists(cli.configDir().resolve("keys")), "doctor makes no key");
        assertFalse(Files.exists(cli.root().resolve("data")), "nor the data directory");
    }

    @Test
    void aMisspeltConfigurationKeyFailsNamingItsFileAndLine() throws IOException {
        Path conf = Files.createDirectories(cli.configDir()).resolve("cgrender.conf");
        Files.writeString(conf, "cgrender {\n  box.idle-timout = 5m\n}\n");
        Cli.Result r = cli.run("doctor");
        assertEquals(1, r.code(), r.toString());
        List<String> lines = r.out().lines().toList();
        int at = lines.indexOf(lines.stream().filter(l -> l.startsWith("FAIL configuration: ")).findFirst()
                .orElseThrow(() -> new AssertionError(r.toString())));
        assertTrue(lines.get(at).contains("unknown config key 'cgrender.box.idle-timout' (" + conf + ": 2)"),
                lines.get(at));
        assertEquals("     fix: correct or remove line 2 of " + conf, lines.get(at + 1));
        assertTrue(r.out().contains("skip cloud: needs a configuration that parses"), "no cloud to check: " + r);
        assertTrue(r.out().contains("ok   key files: "), "the other checks still run: " + r);
        assertTrue(r.err().contains("doctor: 1 of 7 checks failed: configuration"), r.err());

        Files.writeString(conf, "cgrender {\n  box.idle-timeout = 5m\n}\n");
        assertTrue(cli.run("doctor").out().contains("ok   configuration: " + conf + "; cloud local"));
    }

    @Test
    void aKeyFileOthersMayReadFailsWithAChmodThatFixesIt() throws IOException {
        Path key = cli.configDir().resolve("keys/_tester_");
        KeyFiles.write(KeyFiles.generateEd25519(), key, "cgrender /tester/");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result r = cli.run("doctor");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("FAIL key files: the SSH key " + key + " must be readable and writable by its"
                + " owner only (mode rw-r--r--)"), r.out());
        String fix = fixOf(r, "key files");
        assertEquals("chmod 600 " + key, fix);

        runAsWritten(fix);
        Cli.Result fixed = cli.run("doctor");
        assertTrue(fixed.out().contains("ok   key files: 1 key(s) in " + key.getParent()), fixed.toString());
    }

    @Test
    void aKnownHostsLineThatDoesNotParseFailsWithTheLineToRemove() throws IOException {
        Path knownHosts = Files.createDirectories(cli.configDir()).resolve("known_hosts");
        String pinned = "l-0123456789ab " + KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
        Files.writeString(knownHosts, "# pinned by cgrender\n" + pinned + "\nl-ffffffffffff ssh-ed25519\n");
        Cli.Result r = cli.run("doctor");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("FAIL known_hosts: " + knownHosts + " has 1 line(s) that do not parse: line 3:"
                + " not 'host-names key-type key'"), r.out());
        String fix = fixOf(r, "known_hosts");
        assertEquals("sed -i '3d' " + knownHosts, fix);

        runAsWritten(fix);
        assertEquals("# pinned by cgrender\n" + pinned + "\n", Files.readString(knownHosts), "only that line went");
        assertTrue(cli.run("doctor").out().contains("ok   known_hosts: " + knownHosts + " parses"));
    }

    @Test
    void aStateDirectoryThatCannotBeMadeFails() throws IOException {
        Path state = cli.root().resolve("state");
        Files.writeString(state, "not a directory\n"); // root cannot make a directory below a file either
        Cli.Result r = cli.run("doctor");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("FAIL directories: state " + state.resolve("cgrender") + ": " + state
                + " is not a directory"), r.out());
        assertEquals("rm " + state + " && mkdir -p " + state.resolve("cgrender"), fixOf(r, "directories"));
        assertTrue(r.err().contains("checks failed: directories"), r.err());
    }

    @Test
    void aPluginJarThatIsNoneIsAWarningThatDoesNotFail() throws IOException {
        requireWhatTheLocalCloudNeeds();
        Files.writeString(Files.createDirectories(cli.pluginDir()).resolve("broken.jar"), "not a zip");
        Cli.Result r = cli.run("doctor");
        assertEquals(0, r.code(), "a skipped plugin is a warning: " + r);
        String line = r.out().lines().filter(l -> l.startsWith("warn plugins: ")).findFirst()
                .orElseThrow(() -> new AssertionError(r.toString()));
        assertTrue(line.contains("1 warning(s): ") && line.contains("broken.jar"), line);
        assertEquals("rebuild or remove the jars named above", fixOf(r, "plugins"));
    }

    @Test
    void jsonHasEveryCheckWithItsStatusDetailAndFix() throws IOException {
        Path key = cli.configDir().resolve("keys/_tester_");
        KeyFiles.write(KeyFiles.generateEd25519(), key, "cgrender /tester/");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw----"));
        Cli.Result r = cli.run("doctor", "--json");
        assertEquals(1, r.code(), r.toString());
        Config json = ConfigFactory.parseString(r.out(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        assertEquals("local", json.getString("cloud"));
        assertFalse(json.getBoolean("passed"));
        Map<String, Config> checks = new LinkedHashMap<>();
        json.getConfigList("checks").forEach(c -> checks.put(c.getString("name"), c));
        assertEquals(List.of("java", "configuration", "key files", "known_hosts", "plugins", "directories",
                "operating system", "openscad", "ssh", "rsync", "package work"), List.copyOf(checks.keySet()));
        Config keys = checks.get("key files");
        assertEquals("fail", keys.getString("status"));
        assertTrue(keys.getString("detail").contains(key + " must be readable and writable by its owner only"));
        assertEquals("chmod 600 " + key, keys.getString("fix"));
        assertTrue(checks.get("java").getIsNull("fix"));
        assertEquals("ok", checks.get("java").getString("status"));
        assertTrue(r.err().contains("doctor: 1 of 11 checks failed: key files")
                || r.err().contains("key files"), r.err());
    }

    @Test
    void helpSaysWhatItChecks() {
        Cli.Result r = cli.ok("doctor", "--help");
        assertTrue(r.out().contains("Usage: cgrender doctor"), r.out());
        assertTrue(r.out().contains("Exits 0 when every check the configured cloud needs passes, 1 otherwise."),
                r.out());
        assertTrue(cli.ok("--help").out().contains("cgrender doctor"), "the top-level help points to it");
    }

    /** The {@code fix:} line under the check {@code name}. */
    private static String fixOf(Cli.Result r, String name) {
        List<String> lines = r.out().lines().toList();
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).matches("(FAIL|warn) " + java.util.regex.Pattern.quote(name) + ": .*")) {
                String next = lines.get(i + 1);
                assertTrue(next.startsWith("     fix: "), "a fix under " + name + ": " + r);
                return next.substring("     fix: ".length());
            }
        }
        throw new AssertionError("no failure of " + name + " in:\n" + r);
    }

    private static void runAsWritten(String fix) {
        OsCommand.Result done = OsCommand.run(Duration.ofSeconds(30), "sh", "-c", fix);
        assertEquals(0, done.exitCode(), fix + ": " + done.stderr());
    }

    private static void requireWhatTheLocalCloudNeeds() {
        for (String program : List.of("openscad", "ssh", "rsync")) {
            Requirement.require(onPath(program), program + " is not installed (./scripts/test installs it), and the"
                    + " test expects doctor to pass");
        }
        Requirement.require("root".equals(System.getProperty("user.name"))
                        || OsCommand.run(Duration.ofSeconds(10), "sudo", "-n", "true").exitCode() == 0,
                "neither root nor passwordless sudo, which the local cloud's package work needs");
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
