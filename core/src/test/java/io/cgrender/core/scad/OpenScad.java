package io.cgrender.core.scad;

import io.cgrender.testkit.Requirement;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The real {@code openscad} binary as a test oracle: what it renders and which files {@code -d} says it read. */
final class OpenScad {

    /** {@code -Dcgrender.openscad=/path/to/openscad} picks another binary (or, pointing nowhere, skips). */
    private static final String BINARY = System.getProperty("cgrender.openscad", "openscad");
    private static final long TIMEOUT_SECONDS = 120;
    private static Boolean available;

    private OpenScad() {
    }

    /** Skips the calling test (fails it on CI), saying why, when there is no openscad on the PATH. */
    static void assumeInstalled() {
        if (available == null) {
            available = probe();
        }
        Requirement.require(available, "'" + BINARY + " --version' does not run: OpenSCAD is not installed"
                + " (apt-get install openscad), and the oracle test compares the scanner with OpenSCAD's own -d"
                + " output");
    }

    private static boolean probe() {
        try {
            Process p = new ProcessBuilder(BINARY, "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What one render produced. */
    record Render(Set<Path> dependencies, Path output, String log) {
    }

    /**
     * Renders {@code model} in {@code workDir} to {@code output} with {@code -d}, returning the files OpenSCAD listed,
     * each made absolute (against {@code workDir}) and resolved to its real path. {@code openScadPath} null unsets
     * OPENSCADPATH; {@code home} replaces HOME so the user's own library directory stays out of the test.
     */
    static Render render(Path workDir, String model, Path output, String openScadPath, Path home,
                         String... extraArgs) throws IOException, InterruptedException {
        Path deps = Files.createTempFile(output.getParent(), "deps", ".mk");
        List<String> command = new ArrayList<>(List.of(BINARY, "-o", output.toString(), "-d", deps.toString()));
        command.addAll(List.of(extraArgs));
        command.add(model);
        Path log = Files.createTempFile(output.getParent(), "openscad", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        if (openScadPath == null) {
            env.remove("OPENSCADPATH");
        } else {
            env.put("OPENSCADPATH", openScadPath);
        }
        env.put("HOME", home.toString());
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("openscad did not finish within " + TIMEOUT_SECONDS + " s: " + command);
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new AssertionError("openscad failed (" + process.exitValue() + "): " + command + "\n" + text);
        }
        Set<Path> files = new LinkedHashSet<>();
        for (String dep : parseMakeDeps(Files.readString(deps, StandardCharsets.UTF_8))) {
            Path path = workDir.resolve(dep);
            files.add(Files.exists(path) ? path.toRealPath() : path.normalize());
        }
        return new Render(files, output, text);
    }

    /**
     * The prerequisites of the one rule in a make dependency file as OpenSCAD writes it: {@code target: \}, then
     * one prerequisite per line after a tab, lines continued with a backslash, spaces in names written {@code \ }.
     */
    static List<String> parseMakeDeps(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                if (next == '\n') {
                    i++;
                    flush(word, words);
                    continue;
                }
                if (next == '\r' && i + 2 < text.length() && text.charAt(i + 2) == '\n') {
                    i += 2;
                    flush(word, words);
                    continue;
                }
                if (next == ' ') { // OpenSCAD escapes nothing else
                    word.append(next);
                    i++;
                    continue;
                }
            }
            if (Character.isWhitespace(c)) {
                flush(word, words);
            } else {
                word.append(c);
            }
        }
        flush(word, words);
        int target = -1;
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals(":")) {
                target = i;
                break;
            }
            if (w.endsWith(":")) {
                target = i;
                break;
            }
        }
        if (target < 0) {
            throw new AssertionError("not a make rule: " + text);
        }
        return words.subList(target + 1, words.size());
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (word.length() > 0) {
            words.add(word.toString());
            word.setLength(0);
        }
    }
}
