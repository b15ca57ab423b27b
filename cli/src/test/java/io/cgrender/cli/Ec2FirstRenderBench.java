package io.cgrender.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Time to first render on the EC2 cloud against moto, with an sshd stand-in for each instance: {@code cgrender
 * render} of a model in a namespace with no box, once from scratch (launch, set up, bake) and once from the image that
 * bake made. Each repetition uses a fresh moto. cgrender runs in this JVM (no JVM start in the figures); the cloud
 * answers at once (no boot, no image copy), so the figures are cgrender's own work on EC2's code paths: the rest is
 * AWS's, which the README's table gives from AWS's documentation.
 * <p>
 * A benchmark, not a test: surefire's default includes leave it out; {@code bench/first-render.sh} runs it with
 * {@code -Dtest=Ec2FirstRenderBench}. It appends one line per sample ({@code section metric rep seconds s}) to the file
 * named by {@code cgrender.bench.samples}.
 */
class Ec2FirstRenderBench {

    private static final Path CUBE = Path.of("../examples/models/tiny/cube.scad").toAbsolutePath().normalize();

    @Test
    void firstRenderFromScratchAndFromABakedImage() throws IOException {
        int reps = Integer.getInteger("cgrender.bench.reps", 3);
        Path samples = Path.of(System.getProperty("cgrender.bench.samples", "target/first-render-ec2.tsv"));
        for (int rep = 1; rep <= reps; rep++) {
            try (Ec2Cli user = new Ec2Cli()) {
                user.configure("cgrender.box.idle-timeout = 20m\n");
                Cli cli = user.cli;
                Path project = Files.createDirectories(cli.root().resolve("project"));
                Files.copy(CUBE, project.resolve("cube.scad"));
                cli.env().put("PWD", project.toString());

                long t0 = System.nanoTime();
                Cli.Result scratch = cli.ok("render", "--no-cache", "cube.scad");
                double fromScratch = seconds(t0);
                assertTrue(scratch.err().contains("setting up from scratch"), scratch.toString());
                assertTrue(scratch.err().contains("baking image ami-"), scratch.toString());
                cli.ok("terminate", "openscad-ubuntu-box");

                long t1 = System.nanoTime();
                Cli.Result fromImage = cli.ok("render", "--no-cache", "cube.scad");
                double imaged = seconds(t1);
                assertTrue(fromImage.err().contains("no setup needed"), fromImage.toString());
                assertFalse(fromImage.err().contains("setting up"), fromImage.toString());
                assertEquals("cube.stl\n", fromImage.out(), fromImage.toString());
                cli.ok("terminate", "openscad-ubuntu-box");

                write(samples, rep, "first render, set up from scratch", fromScratch);
                write(samples, rep, "first render, from a baked image", imaged);
            }
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void write(Path samples, int rep, String metric, double value) throws IOException {
        Files.createDirectories(samples.toAbsolutePath().getParent());
        Files.writeString(samples, String.format(Locale.ROOT, "ec2-moto\t%s\t%d\t%.3f\ts%n", metric, rep, value),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
