package io.cgrender.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
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
 * named by {@code cgrender.bench.samples}, and each repetition's status lines, stamped with the seconds since the
 * command's start, next to it ({@code first-render-ec2-REP.log}; {@code -Dcgrender.bench.verbose=true}: with
 * {@code -v}).
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

                String scratch = stampedRender(cli);
                assertTrue(scratch.contains("setting up from scratch"), scratch);
                assertTrue(scratch.contains("baking image ami-"), scratch);
                cli.ok("terminate", "openscad-ubuntu-box");
                String fromImage = stampedRender(cli);
                assertTrue(fromImage.contains("no setup needed"), fromImage);
                assertFalse(fromImage.contains("setting up"), fromImage);
                cli.ok("terminate", "openscad-ubuntu-box");

                Files.writeString(samples.resolveSibling("first-render-ec2-" + rep + ".log"), scratch + fromImage);
                phases(samples, rep, "from scratch", scratch);
                phases(samples, rep, "from a baked image", fromImage);
            }
        }
    }

    /** Renders the cube in-process; its status lines, each stamped with the seconds since the start. */
    private static String stampedRender(Cli cli) {
        long t0 = System.nanoTime();
        StringBuilder stamped = new StringBuilder();
        Writer err = new Writer() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public void write(char[] buf, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    if (buf[i] == '\n') {
                        stamped.append(String.format(Locale.ROOT, "%.3f %s%n", (System.nanoTime() - t0) / 1e9, line));
                        line.setLength(0);
                    } else {
                        line.append(buf[i]);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        String[] args = Boolean.getBoolean("cgrender.bench.verbose")
                ? new String[] {"-v", "render", "--no-cache", "cube.scad"}
                : new String[] {"render", "--no-cache", "cube.scad"};
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), cli.env(), args);
        assertEquals(0, code, stamped.toString());
        return stamped.toString();
    }

    /** Records when the box was launched, when it was ready and when the render ended, from the stamped lines. */
    private static void phases(Path samples, int rep, String kind, String stamped) throws IOException {
        write(samples, rep, kind + ": launched", at(stamped, "launched box "));
        write(samples, rep, kind + ": box ready", at(stamped, " is ready"));
        write(samples, rep, kind + ": rendered", at(stamped, "rendered "));
    }

    private static double at(String stamped, String fragment) {
        return stamped.lines().filter(l -> l.contains(fragment)).findFirst()
                .map(l -> Double.parseDouble(l.substring(0, l.indexOf(' '))))
                .orElseThrow(() -> new AssertionError("no line with '" + fragment + "' in:\n" + stamped));
    }

    private static void write(Path samples, int rep, String metric, double value) throws IOException {
        Files.createDirectories(samples.toAbsolutePath().getParent());
        Files.writeString(samples, String.format(Locale.ROOT, "ec2-moto\t%s\t%d\t%.3f\ts%n", metric, rep, value),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
