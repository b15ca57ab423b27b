package io.cgrender.core.box;

import io.github.classgraph.ClassGraph;
import io.github.classgraph.ClassInfo;
import io.github.classgraph.ScanResult;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Which classes carry {@link Role}, found by ClassGraph in the accepted packages of some jars, and remembered per set
 * of jars so that ClassGraph runs only when a jar changed.
 * <p>
 * ClassGraph costs the first scan of a process a good hundred milliseconds of its own start-up, whatever it scans;
 * every command that needs roles would pay it. The index keeps, per scan, the class names it found, under a key made
 * of the accepted packages and each jar's path, size, modification time and file key: a rebuilt, replaced or added
 * jar makes a new key. Directories (a development class path) cannot be fingerprinted that cheaply and are always
 * scanned. Entries are written atomically; an unreadable one is a miss.
 */
final class RoleIndex {

    /** A class carrying {@link Role}, and the jar or directory it is in. */
    record Candidate(String className, Path element) {
    }

    private static final String FORMAT = "cgrender role index 2";
    private static final java.time.Duration STALE = java.time.Duration.ofDays(30);

    private final Optional<Path> dir;

    /** @param dir where entries are kept; empty to always scan */
    RoleIndex(Optional<Path> dir) {
        this.dir = dir;
    }

    /** The role classes in {@code packages} on the class path of {@code loader}. */
    List<Candidate> onClassPath(ClassLoader loader, List<String> packages) {
        Optional<List<Path>> elements = loader == ClassLoader.getSystemClassLoader()
                ? Optional.of(classPathOfSystemLoader()) : Optional.empty();
        return find(elements, packages, () -> scanner(packages).overrideClassLoaders(loader).ignoreParentClassLoaders());
    }

    /** The role classes in {@code packages} of {@code jar}. */
    List<Candidate> inJar(Path jar, List<String> packages) {
        return find(Optional.of(List.of(jar)), packages, () -> scanner(packages).overrideClasspath(jar.toString()));
    }

    private List<Candidate> find(Optional<List<Path>> elements, List<String> packages,
                                 java.util.function.Supplier<ClassGraph> scanner) {
        Optional<String> key = dir.isPresent() ? elements.flatMap(e -> key(e, packages)) : Optional.empty();
        if (key.isPresent()) {
            Optional<List<Candidate>> cached = read(entryOf(dir.get(), key.get()), key.get());
            if (cached.isPresent()) {
                return cached.get();
            }
        }
        List<Candidate> found = new ArrayList<>();
        try (ScanResult scan = scanner.get().scan()) {
            for (ClassInfo info : scan.getClassesWithAnnotation(Role.class)) {
                File element = info.getClasspathElementFile();
                found.add(new Candidate(info.getName(), element == null ? Path.of("")
                        : element.toPath().toAbsolutePath().normalize()));
            }
        }
        key.ifPresent(k -> write(entryOf(dir.get(), k), k, found));
        return found;
    }

    private static ClassGraph scanner(List<String> packages) {
        return new ClassGraph()
                .acceptPackages(packages.toArray(String[]::new))
                .enableClassInfo()
                .enableAnnotationInfo()
                .ignoreClassVisibility()
                .disableRuntimeInvisibleAnnotations()
                .disableModuleScanning()
                .disableNestedJarScanning();
    }

    private static List<Path> classPathOfSystemLoader() {
        List<Path> elements = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                elements.add(Path.of(entry).toAbsolutePath().normalize());
            }
        }
        return elements;
    }

    /**
     * What identifies the scan of {@code elements}: the packages and each element's path, size, modification time and
     * file key; empty if one of them is not a plain file.
     */
    private static Optional<String> key(List<Path> elements, List<String> packages) {
        StringBuilder key = new StringBuilder(String.join(",", packages));
        for (Path element : elements) {
            key.append('|').append(element).append('|');
            try {
                BasicFileAttributes attributes = Files.readAttributes(element, BasicFileAttributes.class);
                if (!attributes.isRegularFile()) {
                    return Optional.empty();
                }
                key.append(attributes.size()).append('|')
                        .append(attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS)).append('|')
                        .append(attributes.fileKey());
            } catch (IOException e) {
                key.append("absent");
            }
        }
        return Optional.of(key.toString().replace('\n', ' '));
    }

    /** The entry file of {@code key}; the key itself is its first line, so a hash collision is only a miss. */
    private static Path entryOf(Path dir, String key) {
        return dir.resolve(Integer.toHexString(key.hashCode()) + "-" + key.length());
    }

    private static Optional<List<Candidate>> read(Path entry, String key) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(entry.toFile()),
                StandardCharsets.UTF_8))) {
            if (!FORMAT.equals(in.readLine()) || !key.equals(in.readLine())) {
                return Optional.empty();
            }
            List<Candidate> candidates = new ArrayList<>();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                int tab = line.indexOf('\t');
                if (tab < 0) {
                    return Optional.empty();
                }
                candidates.add(new Candidate(line.substring(0, tab), Path.of(line.substring(tab + 1))));
            }
            return Optional.of(candidates);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Best effort: an index that cannot be written only means scanning again next time. Entries older than
     * {@link #STALE} go, so that those of replaced jars do not pile up; one still in use is simply written again.
     */
    private static void write(Path entry, String key, List<Candidate> candidates) {
        StringBuilder text = new StringBuilder(FORMAT).append('\n').append(key).append('\n');
        candidates.forEach(c -> text.append(c.className()).append('\t').append(c.element()).append('\n'));
        try {
            Files.createDirectories(entry.getParent());
            Path temp = Files.createTempFile(entry.getParent(), entry.getFileName().toString(), ".tmp");
            try {
                Files.writeString(temp, text, StandardCharsets.UTF_8);
                Files.move(temp, entry, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
            prune(entry.getParent());
        } catch (IOException | RuntimeException e) {
            // next time scans again
        }
    }

    private static void prune(Path dir) throws IOException {
        java.time.Instant stale = java.time.Instant.now().minus(STALE);
        try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
            for (Path old : entries.toList()) {
                if (Files.getLastModifiedTime(old).toInstant().isBefore(stale)) {
                    Files.deleteIfExists(old);
                }
            }
        }
    }
}
