package io.cgrender.testkit;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * A jar made in a test from Java source: compiled with the JDK's compiler against the test's own class path (so it
 * can use cgrender's API), with the manifest attributes and resources given. Classes can be left out of the jar on
 * purpose, to make one that misses a dependency.
 */
public final class TestJar {

    private final Map<String, String> sources = new LinkedHashMap<>();
    private final Map<String, String> resources = new LinkedHashMap<>();
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private final Set<String> omitted = new HashSet<>();

    /** A jar whose manifest declares it a cgrender plugin of {@code packages} for plugin API {@code apiVersion}. */
    public static TestJar plugin(String packages, String apiVersion) {
        return new TestJar().attribute("Cgrender-Plugin-Packages", packages)
                .attribute("Cgrender-Api-Version", apiVersion);
    }

    /** A jar with no plugin manifest entries. */
    public static TestJar plain() {
        return new TestJar();
    }

    /** Adds the class {@code className} (fully qualified) with source {@code code}. */
    public TestJar source(String className, String code) {
        sources.put(className, code);
        return this;
    }

    /** Adds a text resource at {@code path} inside the jar. */
    public TestJar resource(String path, String text) {
        resources.put(path, text);
        return this;
    }

    /** Registers {@code providers} in {@code META-INF/services/<service>}. */
    public TestJar service(String service, String... providers) {
        return resource("META-INF/services/" + service, String.join("\n", providers) + "\n");
    }

    public TestJar attribute(String name, String value) {
        attributes.put(name, value);
        return this;
    }

    /** Compiles {@code className} (so others can use it) but leaves it out of the jar. */
    public TestJar omit(String className) {
        omitted.add(className);
        return this;
    }

    /** Compiles, and writes the jar to {@code jar} (parent directories are created). */
    public Path writeTo(Path jar) {
        try {
            Path classes = Files.createTempDirectory("test-jar-classes");
            try {
                compile(classes);
                write(classes, jar);
            } finally {
                try (Stream<Path> files = Files.walk(classes)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void compile(Path classes) throws IOException {
        if (sources.isEmpty()) {
            return;
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null) {
            throw new IllegalStateException("no Java compiler: the tests need a JDK, not a JRE");
        }
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((name, code) -> units.add(new Source(name, code)));
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = List.of("--release", "17", "-proc:none", "-d", classes.toString(),
                    "-classpath", System.getProperty("java.class.path"));
            if (!compiler.getTask(null, files, diagnostics, options, null, units).call()) {
                StringBuilder message = new StringBuilder("test jar sources do not compile:");
                for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                    message.append('\n').append(d);
                }
                throw new IllegalStateException(message.toString());
            }
        }
    }

    private void write(Path classes, Path jar) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((name, value) -> manifest.getMainAttributes().putValue(name, value));
        Files.createDirectories(jar.toAbsolutePath().getParent());
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> walk = Files.walk(classes)) {
            for (Path path : walk.filter(Files::isRegularFile).sorted().toList()) {
                String entry = classes.relativize(path).toString().replace('\\', '/');
                String className = entry.replaceFirst("\\.class$", "").replace('/', '.');
                if (omitted.contains(className.replaceFirst("\\$.*", ""))) {
                    continue;
                }
                out.putNextEntry(new JarEntry(entry));
                out.write(Files.readAllBytes(path));
                out.closeEntry();
            }
            for (Map.Entry<String, String> resource : resources.entrySet()) {
                out.putNextEntry(new JarEntry(resource.getKey()));
                out.write(resource.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
    }

    /** Source code held in memory. */
    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
