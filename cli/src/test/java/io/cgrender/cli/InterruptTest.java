package io.cgrender.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ctrl-C (SIGINT/SIGTERM) during create unwinds: the half-made box is terminated. */
class InterruptTest {

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void interruptingCreateDuringSetupTerminatesTheBox() throws Exception {
        Path log = cli.root().resolve("create.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "create", "slow-setup-box")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(cli.env());
        Process process = pb.start();
        try {
            Path marker = awaitSetupStarted(Duration.ofSeconds(60), process);
            assertTrue(Files.exists(marker));
            process.destroy(); // SIGTERM: runs the shutdown hooks exactly as Ctrl-C's SIGINT does
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "create exits after cleaning up");
        } finally {
            process.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(output.contains("interrupted: cleaning up"), output);
        assertTrue(output.contains("terminating box"), output);
        assertEquals(List.of(), cli.boxIds(), output);
    }

    /** Polls until the slow box's setup has started, failing early if the create process died. */
    private Path awaitSetupStarted(Duration timeout, Process process) throws Exception {
        Path boxes = cli.stateDir().resolve("local/boxes");
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new AssertionError("create exited early:\n" + Files.readString(cli.root().resolve("create.log")));
            }
            Optional<Path> marker = Optional.empty();
            if (Files.isDirectory(boxes)) {
                try (Stream<Path> dirs = Files.list(boxes)) {
                    marker = dirs.map(d -> d.resolve("home").resolve("setup-started")).filter(Files::exists).findFirst();
                }
            }
            if (marker.isPresent()) {
                return marker.get();
            }
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("setup did not start within " + timeout);
    }
}
