package io.cgrender.cli;

import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.testkit.ProcessRace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several {@code cgrender} processes using a fresh namespace at the same moment, as a user with many terminals. */
class FirstUseEndToEndTest {

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void concurrentCreatesInAFreshNamespaceShareOneKeyThatEveryBoxAccepts() throws IOException {
        int processes = 4;

        List<ProcessRace.Result> creates = ProcessRace.of(processes, Duration.ofMinutes(3)).environment(cli.env())
                .run(Main.class, "-n", "/conc/", "create", "echo-box", "--new");

        for (ProcessRace.Result create : creates) {
            assertEquals(0, create.exitCode(), create.toString());
        }
        Path key = cli.configDir().resolve("keys/_conc_");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        String pub = Files.readString(KeyFiles.publicKeyFile(key));
        assertTrue(pub.startsWith(KeyFiles.publicKeyLine(KeyFiles.read(key).getPublic()) + " "),
                "the .pub is the key's: " + pub);
        List<String> boxes = cli.boxIds("-n", "/conc/");
        assertEquals(processes, boxes.size(), boxes.toString());
        for (String box : boxes) {
            Cli.Result ssh = cli.run("-n", "/conc/", "ssh", box, "--", "echo", "in");
            assertEquals(0, ssh.code(), "the system ssh logs in to " + box + " with the key on file: " + ssh);
            assertEquals("in\n", ssh.out(), ssh.toString());
        }
    }
}
