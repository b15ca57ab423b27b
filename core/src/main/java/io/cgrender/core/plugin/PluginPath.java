package io.cgrender.core.plugin;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Where plugin jars come from, in this order: each {@code --plugin-path DIR|JAR}, each entry of
 * {@code CGRENDER_PLUGIN_PATH} (separated by ':'), then the jars in {@code $XDG_CONFIG_HOME/cgrender/plugins/}. A
 * directory contributes the {@code *.jar} files directly in it, by name; a jar reached twice counts once.
 */
public final class PluginPath {

    public static final String ENV = "CGRENDER_PLUGIN_PATH";

    private PluginPath() {
    }

    /**
     * The plugin jars, in order.
     *
     * @param options    the {@code --plugin-path} values; one that does not exist is a usage error
     * @param envValue   {@code CGRENDER_PLUGIN_PATH}, or {@code null}; an entry that does not exist is warned about
     * @param pluginsDir the user's plugin directory; may be missing
     * @param cwd        what relative paths are relative to
     */
    public static List<Path> resolve(List<Path> options, String envValue, Path pluginsDir, Path cwd,
                                     Consumer<String> warn) {
        List<Path> jars = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path option : options) {
            Path path = cwd.resolve(option).normalize();
            if (!Files.exists(path)) {
                throw new UsageException("--plugin-path " + option + ": no such file or directory");
            }
            addAll(jars, seen, expand(path));
        }
        if (envValue != null) {
            for (String entry : envValue.split(File.pathSeparator)) {
                if (entry.isBlank()) {
                    continue;
                }
                Path path = cwd.resolve(entry).normalize();
                if (!Files.exists(path)) {
                    warn.accept(ENV + " entry " + entry + ": no such file or directory; ignored");
                    continue;
                }
                addAll(jars, seen, expand(path));
            }
        }
        if (Files.isDirectory(pluginsDir)) {
            addAll(jars, seen, expand(pluginsDir.toAbsolutePath().normalize()));
        }
        return jars;
    }

    private static List<Path> expand(Path path) {
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        try (Stream<Path> entries = Files.list(path)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".jar"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new CgrenderException("cannot list plugin directory " + path + ": " + e.getMessage(), e);
        }
    }

    private static void addAll(List<Path> jars, Set<Path> seen, List<Path> found) {
        for (Path jar : found) {
            Path real;
            try {
                real = jar.toRealPath();
            } catch (IOException e) {
                real = jar;
            }
            if (seen.add(real)) {
                jars.add(jar);
            }
        }
    }
}
