package io.cgrender.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a local program (ssh-keygen, ssh, …) to completion with a bounded wait, capturing its output. Standard input
 * is empty, so nothing ever waits for a prompt.
 */
public final class OsCommand {

    /** How a program ended. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        /** This result, or an {@link IllegalStateException} showing the command and its output if it failed. */
        public Result requireSuccess() {
            if (exitCode != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + exitCode
                        + "\nstdout: " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }
    }

    private OsCommand() {
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /**
     * Runs {@code command}; a program still running after {@code timeout} is killed and reported as an
     * {@link IllegalStateException}.
     */
    public static Result run(Duration timeout, List<String> command) {
        return run(timeout, null, command);
    }

    /** As {@link #run(Duration, List)}, in the working directory {@code cwd} ({@code null}: this process's). */
    public static Result run(Duration timeout, java.nio.file.Path cwd, List<String> command) {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(cwd == null ? null : cwd.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        Thread outPump = pump(process.getInputStream(), stdout);
        Thread errPump = pump(process.getErrorStream(), stderr);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + timeout.toMillis() + " ms");
            }
            outPump.join(TimeUnit.SECONDS.toMillis(5));
            errPump.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
        return new Result(List.copyOf(command), process.exitValue(),
                stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    }

    private static java.io.File nullFile() {
        return new java.io.File("/dev/null");
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream sink) {
        Thread thread = new Thread(() -> {
            try (in) {
                in.transferTo(sink);
            } catch (IOException ignored) {
                // the process went away; what was read so far is kept
            }
        }, "os-command-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
