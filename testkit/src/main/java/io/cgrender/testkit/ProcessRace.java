package io.cgrender.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Several JVMs of the test's class path running one main class, released at the same moment: each starts, says it is
 * ready and blocks reading its standard input; once all are ready, each is sent the go-ahead at once. What races is
 * then only the work of the main class, not the JVMs' start-up. For tests of what separate processes do at once
 * (making one file, one cloud resource), which threads of one JVM cannot show.
 */
public final class ProcessRace {

    /** What one process printed and how it ended. */
    public record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private static final String READY = "cgrender-process-race: ready";

    private final int processes;
    private final Duration timeout;
    private final Map<String, String> environment = new LinkedHashMap<>();

    private ProcessRace(int processes, Duration timeout) {
        this.processes = processes;
        this.timeout = timeout;
    }

    /** {@code processes} JVMs; each may take {@code timeout} to get ready and as long again to end. */
    public static ProcessRace of(int processes, Duration timeout) {
        return new ProcessRace(processes, timeout);
    }

    /** Adds {@code env} to the environment the processes inherit. */
    public ProcessRace environment(Map<String, String> env) {
        environment.putAll(env);
        return this;
    }

    /** Runs {@code main} with {@code args} in every process, all released together; returns their results in order. */
    public List<Result> run(Class<?> main, String... args) {
        List<Racer> racers = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(processes);
        try {
            for (int i = 0; i < processes; i++) {
                racers.add(new Racer(main, args, ready));
            }
            if (!ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("only " + (processes - ready.getCount()) + " of " + processes
                        + " processes got ready within " + timeout.toSeconds() + "s:\n" + racers);
            }
            for (Racer r : racers) {
                r.release();
            }
            List<Result> results = new ArrayList<>();
            for (Racer r : racers) {
                results.add(r.await(timeout));
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while racing " + main.getName(), e);
        } finally {
            racers.forEach(Racer::kill);
        }
    }

    /** One process of the race. */
    private final class Racer {
        private final Process process;
        private final Path stderr;
        private final StringBuilder stdout = new StringBuilder();
        private final Thread reader;

        Racer(Class<?> main, String[] args, CountDownLatch ready) {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-cp", System.getProperty("java.class.path"), Gate.class.getName(), main.getName()));
            command.addAll(List.of(args));
            try {
                stderr = Files.createTempFile("cgrender-race-", ".err");
                ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile());
                pb.environment().putAll(environment);
                process = pb.start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start a JVM for " + main.getName(), e);
            }
            reader = new Thread(() -> read(ready), "process-race-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        private void read(CountDownLatch ready) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.equals(READY)) {
                        ready.countDown();
                    } else {
                        synchronized (stdout) {
                            stdout.append(line).append('\n');
                        }
                    }
                }
            } catch (IOException e) {
                synchronized (stdout) {
                    stdout.append("(reading stdout failed: ").append(e.getMessage()).append(")\n");
                }
            }
        }

        void release() {
            try {
                OutputStream in = process.getOutputStream();
                in.write('\n');
                in.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot release process " + process.pid(), e);
            }
        }

        Result await(Duration limit) throws InterruptedException {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("process " + process.pid() + " did not end within " + limit.toSeconds()
                        + "s:\n" + this);
            }
            reader.join(limit.toMillis());
            return new Result(process.exitValue(), out(), err());
        }

        void kill() {
            process.destroyForcibly();
            try {
                Files.deleteIfExists(stderr);
            } catch (IOException ignored) {
                // a file left in /tmp is harmless
            }
        }

        private String out() {
            synchronized (stdout) {
                return stdout.toString();
            }
        }

        private String err() {
            try {
                return Files.readString(stderr);
            } catch (IOException e) {
                return "(cannot read " + stderr + ": " + e.getMessage() + ")";
            }
        }

        @Override
        public String toString() {
            return "process " + process.pid() + (process.isAlive() ? " (running)" : " (exit " + process.exitValue()
                    + ")") + "\n--- stdout\n" + out() + "--- stderr\n" + err();
        }
    }

    /**
     * The main class of each process: says it is ready, waits for the go-ahead on standard input, then runs the main
     * class named by its first argument with the rest.
     */
    public static final class Gate {
        private Gate() {
        }

        public static void main(String[] args) throws Exception {
            System.out.println(READY);
            System.out.flush();
            if (System.in.read() < 0) {
                System.exit(99); // the race was called off
            }
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            try {
                Class.forName(args[0]).getMethod("main", String[].class).invoke(null, (Object) rest);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }
}
