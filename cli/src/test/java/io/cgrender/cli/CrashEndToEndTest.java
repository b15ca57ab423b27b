package io.cgrender.cli;

import io.cgrender.core.cloud.Eventually;
import io.cgrender.local.host.BoxProcesses;
import io.cgrender.testkit.SmallDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renders when something breaks on the local cloud: the client killed while it uploads, the box host killed while the
 * box renders, the box's disk full. Each leaves nothing half done, and nothing reports a job running that is not.
 */
class CrashEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String BIG_LINE = "// " + "x".repeat(96) + "\n";

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void aClientKilledWhileUploadingLeavesNoHalfFileAndTheNextRenderCompletes() throws Exception {
        Path project = Files.createDirectories(cli.root().resolve("project"));
        // Ten 4 MB includes (comments only, so OpenSCAD reads them quickly): long enough an upload to interrupt.
        StringBuilder model = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            write(project.resolve("lib/big-" + i + ".scad"), 40_000);
            model.append("include <lib/big-").append(i).append(".scad>\n");
        }
        Files.writeString(project.resolve("model.scad"), model + "cube(7);\n");
        String box = cli.ok("create", "openscad-ubuntu-box").out().strip();
        Path work = cli.boxDir(box).resolve("home/.cgrender/work");
        Path log = cli.root().resolve("killed-upload.log");

        Process client = cli.start(project, log, "render", "model.scad", "--no-cache");
        try {
            Eventually.await(WAIT, "the client is uploading (a partial file in the upload cache)", () -> {
                assertTrue(client.isAlive(), () -> "the client ended before it uploaded: " + read(log));
                return !partialFiles(work).isEmpty();
            });
            client.destroyForcibly();
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
        } finally {
            client.destroyForcibly();
        }

        Cli.Result again = cli.ok("render", project.resolve("model.scad").toString(), "--no-cache", "-v");

        assertTrue(Files.readString(project.resolve("model.stl")).contains("vertex 7 7 7"), again.toString());
        assertEquals(List.of(), partialFiles(work), "no partial upload is left on the box");
        Eventually.await(WAIT, "no job's inputs are left behind: " + jobTree(box), () -> jobInputs(box) == 0);
    }

    @Test
    void aBoxHostKilledWhileItRendersLeavesTheJobLostNeverRunning() throws Exception {
        Path project = Files.createDirectories(cli.root().resolve("project"));
        Files.copy(Path.of("src/test/resources/models/slow.scad"), project.resolve("slow.scad"));
        String box = cli.ok("create", "openscad-ubuntu-box").out().strip();
        Path log = cli.root().resolve("attached.log");
        Process client = cli.start(project, log, "render", "slow.scad", "-D", "n=60", "--no-cache");
        String job;
        try {
            job = RenderEndToEndTest.awaitJobId(client, log, WAIT);
            Path pidFile = cli.boxDir(box).resolve("home/.cgrender/jobs").resolve(job).resolve("pid");
            Eventually.await(WAIT, "job " + job + " runs", () -> Files.exists(pidFile));

            ProcessHandle host = ProcessHandle.of(Long.parseLong(state(box).getProperty("pid"))).orElseThrow();
            host.destroyForcibly(); // SIGKILL: the box host's shutdown, which ends the box's processes, never runs
            host.onExit().get(30, TimeUnit.SECONDS);

            assertTrue(client.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the attached client ends");
            assertEquals(1, client.exitValue(), read(log));
            assertTrue(read(log).contains("job " + job + " is lost: its box " + box + " is dead"), read(log));
        } finally {
            client.destroyForcibly();
        }
        Cli.Result jobs = cli.ok("jobs");
        assertTrue(jobs.out().lines().anyMatch(l -> l.startsWith(job) && l.contains("lost")), jobs.toString());
        assertFalse(jobs.out().contains("running"), jobs.toString());
        Cli.Result fetch = cli.run("fetch", job);
        assertEquals(1, fetch.code(), fetch.toString());
        assertTrue(fetch.err().contains("job " + job + " is lost: its box " + box + " is dead"), fetch.toString());
        assertEquals(List.of(), BoxProcesses.of(box), "a dead box runs nothing: its job's processes were ended");
        cli.ok("terminate", box);
    }

    @Test
    void aFullDiskOnTheBoxFailsTheUploadInOneLineLeavingNoHalfFile() throws Exception {
        Path project = Files.createDirectories(cli.root().resolve("project"));
        write(project.resolve("lib/big.scad"), 120_000); // 12 MB, on a box with 8 MB of disk
        Files.writeString(project.resolve("model.scad"), "include <lib/big.scad>\ncube(1);\n");
        try (SmallDisk disk = SmallDisk.mount(cli.root().resolve("state"), 8)) {
            String box = cli.ok("create", "openscad-ubuntu-box").out().strip();
            try {
                Cli.Result r = cli.run("render", project.resolve("model.scad").toString());

                assertEquals(1, r.code(), r.toString());
                List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
                assertEquals(1, errors.size(), r.toString());
                assertTrue(errors.get(0).contains("the box's disk is full") && r.err().strip().endsWith(
                        errors.get(0)), r.toString());
                Path home = cli.boxDir(box).resolve("home");
                assertEquals(List.of(), partialFiles(home), "no partial file on the box");
                try (Stream<Path> files = Files.walk(home.resolve(".cgrender/work"))) {
                    assertFalse(files.anyMatch(p -> p.getFileName().toString().equals("big.scad")),
                            "nothing of the file that did not fit");
                }
                assertEquals(0, jobInputs(box), "no job directory was left");
                assertFalse(Files.exists(project.resolve("model.stl")), "no result here");
                try (Stream<Path> here = Files.list(project)) {
                    assertEquals(List.of("lib", "model.scad"), here.map(p -> p.getFileName().toString()).sorted()
                            .toList(), "no half-written file here");
                }
                assertEquals("", cli.ok("jobs", "--json").out().replaceAll("[\\[\\]\\s]", ""), "no job started");
            } finally {
                cli.ok("terminate", box);
            }
        }
    }

    /** Writes {@code lines} comment lines (100 bytes each) to {@code file}. */
    private static void write(Path file, int lines) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, BIG_LINE.repeat(lines));
    }

    /** The partial uploads (temporary files named {@code .NAME.RANDOM.part}) below {@code dir}. */
    private static List<Path> partialFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(); // a file went while we looked: look again
        }
    }

    /** How many job directories on the box still hold inputs (or exist without having started). */
    private long jobInputs(String box) {
        Path jobs = cli.boxDir(box).resolve("home/.cgrender/jobs");
        if (!Files.isDirectory(jobs)) {
            return 0;
        }
        try (Stream<Path> dirs = Files.list(jobs)) {
            return dirs.filter(d -> Files.exists(d.resolve("in")) || !Files.exists(d.resolve("status"))).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The files below the box's job directories, for messages. */
    private String jobTree(String box) {
        try (Stream<Path> files = Files.walk(cli.boxDir(box).resolve("home/.cgrender/jobs"), 3)) {
            return files.map(Path::toString).toList().toString();
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    private Properties state(String box) throws IOException {
        Properties state = new Properties();
        try (InputStream in = Files.newInputStream(cli.boxDir(box).resolve("box.properties"))) {
            state.load(in);
        }
        return state;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
