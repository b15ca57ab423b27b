package io.cgrender.cli;

import io.cgrender.cli.testroles.BrokenAptBox;
import io.cgrender.core.ssh.KeyFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failures a user can meet, seen from the command line: what is printed, the exit code, what is left. */
class FailureEndToEndTest {

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void aChangedHostKeyIsRefusedBeforeAnyCommandRuns() throws IOException {
        String id = cli.ok("create", "echo-box").out().strip();
        Path knownHosts = cli.configDir().resolve("known_hosts");
        String pinned = Files.readString(knownHosts);
        String impostor = KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
        Files.writeString(knownHosts, pinned.replaceAll("(?m)^" + id + " .*$", id + " " + impostor));

        Cli.Result r = cli.run("ssh", "echo-box", "--", "touch", "ran-anyway");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains(id), r.toString());
        Matcher fingerprints = Pattern.compile("SHA256:[A-Za-z0-9+/]{43}").matcher(r.err());
        int count = 0;
        while (fingerprints.find()) {
            count++;
        }
        assertTrue(count >= 2, "both fingerprints shown: " + r);
        assertTrue(r.err().contains(KeyFiles.fingerprint(KeyFiles.parsePublicKeyLine(impostor)).value()), r.toString());

        Files.writeString(knownHosts, pinned);
        assertEquals(1, cli.run("ssh", "echo-box", "--", "test", "-e", "ran-anyway").code(),
                "the refused command never ran");
    }

    @Test
    void anAptFailureDuringSetupShowsThePackageAndTerminatesTheBox() {
        Cli.Result r = cli.run("create", "broken-apt-box");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("apt-get install failed"), r.toString());
        assertTrue(r.err().contains("on package " + BrokenAptBox.MISSING_PACKAGE), r.toString());
        assertTrue(r.err().contains("Unable to locate package " + BrokenAptBox.MISSING_PACKAGE),
                "apt's output tail is shown: " + r);
        assertTrue(r.err().contains("terminating box"), r.toString());
        assertEquals(List.of(), cli.boxIds());
    }

    @Test
    void keepOnErrorKeepsTheFailedBoxAndPrintsItsId() {
        Cli.Result r = cli.run("create", "broken-apt-box", "--keep-on-error");
        assertEquals(3, r.code(), r.toString());
        List<String> ids = cli.boxIds();
        assertEquals(1, ids.size());
        assertTrue(r.err().contains("left behind") && r.err().contains(ids.get(0)), r.toString());
        assertTrue(cli.ok("list").out().lines().anyMatch(l -> l.startsWith(ids.get(0)) && l.contains("failed")),
                "stage tag says failed");
    }

    @Test
    void aBoxHostThatDiedIsReportedDeadNotRunning() throws Exception {
        String id = cli.ok("create", "echo-box").out().strip();
        Properties state = new Properties();
        try (var in = Files.newInputStream(cli.stateDir().resolve("local/boxes").resolve(id).resolve("box.properties"))) {
            state.load(in);
        }
        ProcessHandle host = ProcessHandle.of(Long.parseLong(state.getProperty("pid"))).orElseThrow();
        // Read /proc directly: ProcessHandle.Info drops the arguments of a command line longer than a page, and the
        // box host's class path (this JVM's, the EC2 SDK included) is longer than that.
        String commandLine = Files.readString(Path.of("/proc", Long.toString(host.pid()), "cmdline"));
        assertTrue(commandLine.contains("io.cgrender.local.host.BoxHost"), "the state names the box host process");
        host.destroyForcibly();
        host.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);

        Cli.Result list = cli.ok("list");
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id) && l.contains("dead")), list.toString());
        assertFalse(list.out().contains("running"), list.toString());
        Cli.Result ssh = cli.run("ssh", id, "--", "true");
        assertEquals(1, ssh.code(), ssh.toString());
        assertTrue(ssh.err().contains("dead"), ssh.toString());
        cli.ok("terminate", id);
        assertEquals(List.of(), cli.boxIds());
    }
}
