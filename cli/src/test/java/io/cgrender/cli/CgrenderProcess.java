package io.cgrender.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code cgrender} in a JVM of its own, as a user's terminal runs it, so that a test can run several at once and kill
 * one (SIGKILL: no shutdown hook, no goodbye). Its standard output and error go to one log file.
 */
final class CgrenderProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final String command;

    private CgrenderProcess(Process process, Path log, String command) {
        this.process = process;
        this.log = log;
        this.command = command;
    }

    /**
     * Starts {@code cgrender args} as {@code cli}'s user, in {@code dir}, with extra system properties (e.g. a test
     * role's hold, or the EC2 stand-ins to attach to).
     */
    static CgrenderProcess start(Cli cli, Path dir, Path log, Map<String, String> properties, String... args) {
        return start(Main.class, cli, Map.of(), dir, log, properties, args);
    }

    /**
     * Starts {@code cgrender args} as the launcher does, through its front end ({@code CGRENDER_DAEMON} and other
     * variables in {@code env}), which hands the command to the user's daemon or runs it itself.
     */
    static CgrenderProcess frontEnd(Cli cli, Map<String, String> env, Path dir, Path log, String... args) {
        return start(io.cgrender.cli.daemon.FrontEnd.class, cli, env, dir, log, Map.of(), args);
    }

    private static CgrenderProcess start(Class<?> main, Cli cli, Map<String, String> env, Path dir, Path log,
                                         Map<String, String> properties, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(cli.env());
        pb.environment().putAll(env);
        pb.environment().put("PWD", dir.toAbsolutePath().toString());
        try {
            return new CgrenderProcess(pb.start(), log, "cgrender " + String.join(" ", args));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (bounded) until {@code condition} holds, failing early, with the output, if the process ends first. */
    void awaitWhileAlive(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new AssertionError(command + " ended (exit " + process.exitValue() + ") before " + what + ":\n"
                        + output());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toSeconds() + "s: " + what + "; " + command
                        + " printed:\n" + output());
            }
            process.waitFor(20, TimeUnit.MILLISECONDS);
        }
    }

    /** Waits (bounded) for the process to end; returns its exit code. */
    int await(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(command + " did not end within " + timeout.toSeconds() + "s:\n" + output());
        }
        return process.exitValue();
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(command + " survived SIGKILL for 30s");
        }
    }

    /** SIGTERM, as Ctrl-C: the shutdown hooks run. */
    void interrupt() {
        process.destroy();
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
