package io.cgrender.cli;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs {@code cgrender} in-process through {@link Main#run} with its own XDG directories, like a user with a fresh
 * home. {@link #close()} terminates every box it left and removes the directories.
 */
final class Cli implements AutoCloseable, AfterEachCallback {

    /** What one invocation printed and returned. */
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Path root;
    private final Map<String, String> env = new HashMap<>();
    private final java.util.Set<String> namespaces = new java.util.LinkedHashSet<>(List.of("/tester/"));

    /** A fresh user; as a field with {@code @RegisterExtension}, it is cleaned up after each test. */
    Cli() {
        try {
            root = Files.createTempDirectory("cgrender-cli-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        env.put("HOME", root.resolve("home").toString());
        env.put("USER", "tester");
        env.put("XDG_CONFIG_HOME", root.resolve("config").toString());
        env.put("XDG_DATA_HOME", root.resolve("data").toString());
        env.put("XDG_STATE_HOME", root.resolve("state").toString());
        env.put("PATH", System.getenv("PATH"));
    }

    Path root() {
        return root;
    }

    Map<String, String> env() {
        return env;
    }

    Path configDir() {
        return root.resolve("config/cgrender");
    }

    /** {@code $XDG_CONFIG_HOME/cgrender/plugins/}: jars dropped here are plugins. */
    Path pluginDir() {
        return configDir().resolve("plugins");
    }

    Path stateDir() {
        return root.resolve("state/cgrender");
    }

    Result run(String... args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("-n") || args[i].equals("--namespace")) {
                namespaces.add(args[i + 1]);
            }
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), env, args);
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * Starts {@code cgrender ARGS} in another JVM, as this user, in {@code cwd}, both output streams going to
     * {@code log}: a client that can be killed, or several that run at once.
     */
    Process start(Path cwd, Path log, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("PWD", cwd.toString());
        return pb.start();
    }

    /** The directory of the local box {@code id} ({@code $XDG_STATE_HOME/cgrender/local/boxes/<id>}). */
    Path boxDir(String id) {
        return stateDir().resolve("local/boxes").resolve(id);
    }

    /** Runs and requires exit code 0. */
    Result ok(String... args) {
        Result r = run(args);
        if (r.code() != 0) {
            throw new AssertionError("cgrender " + String.join(" ", args) + " failed:\n" + r);
        }
        return r;
    }

    /** Box ids of the namespace as {@code list --json} reports them, in any state but terminated. */
    List<String> boxIds(String... globalOptions) {
        String[] args = Stream.concat(Stream.of(globalOptions), Stream.of("list", "--json")).toArray(String[]::new);
        String json = ok(args).out();
        Matcher m = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(json);
        List<String> ids = new java.util.ArrayList<>();
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        close();
    }

    @Override
    public void close() throws IOException {
        try {
            for (String ns : List.copyOf(namespaces)) {
                if (run("-n", ns, "list").code() != 0) {
                    continue;
                }
                for (String id : boxIds("-n", ns)) {
                    run("-n", ns, "terminate", id);
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
