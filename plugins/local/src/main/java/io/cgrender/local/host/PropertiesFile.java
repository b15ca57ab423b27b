package io.cgrender.local.host;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Small Java properties files (UTF-8, keys sorted, no date comment) for the local cloud's records, written by
 * atomic rename so that a reader sees the old file or the new one, never part of one.
 */
public final class PropertiesFile {

    private PropertiesFile() {
    }

    /** The entries of {@code file}, or empty if it does not exist. */
    public static Optional<Map<String, String>> read(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Map<String, String> map = new TreeMap<>();
        properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k)));
        return Optional.of(map);
    }

    /** Replaces {@code file} with {@code entries}, atomically (temp file in the same directory, then rename). */
    public static void write(Path file, Map<String, String> entries, String comment) throws IOException {
        StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
        new TreeMap<>(entries).forEach((k, v) -> text.append(line(k, v)).append('\n'));
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** One {@code key=value} line with the JDK's own escaping (tag keys contain ':'). */
    private static String line(String key, String value) {
        Properties one = new Properties();
        one.setProperty(key, value);
        StringWriter out = new StringWriter();
        try {
            one.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : out.toString().split("\\r?\\n")) {
            if (!line.startsWith("#") && !line.isEmpty()) {
                return line;
            }
        }
        throw new IllegalStateException("Properties.store wrote no line for " + key);
    }
}
