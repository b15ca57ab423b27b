package io.cgrender.core.scad;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A directory tree of test files below a base directory, written one line at a time. */
final class Tree {

    /** The repository's example models (tests run in the core module's directory). */
    static final Path EXAMPLES = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .resolve("../examples/models").toAbsolutePath().normalize();

    /** A valid, closed ASCII STL: a unit tetrahedron. */
    static final String STL = "solid t\n"
            + facet("0 0 -1", "0 0 0", "0 1 0", "1 0 0")
            + facet("0 -1 0", "0 0 0", "1 0 0", "0 0 1")
            + facet("-1 0 0", "0 0 0", "0 0 1", "0 1 0")
            + facet("0.57735 0.57735 0.57735", "1 0 0", "0 1 0", "0 0 1")
            + "endsolid t\n";
    /** A valid DXF: a closed triangle (unit size). */
    static final String DXF = "0\nSECTION\n2\nENTITIES\n"
            + line(0, 0, 1, 0) + line(1, 0, 0, 1) + line(0, 1, 0, 0) + "0\nENDSEC\n0\nEOF\n";
    /** A valid surface() height map: 3 x 3 numbers. */
    static final String DAT = "0 1 0\n1 2 1\n0 1 0\n";

    private final Path base;

    Tree(Path base) {
        this.base = base;
    }

    Path base() {
        return base;
    }

    Path path(String relative) {
        return base.resolve(relative);
    }

    /** Writes {@code lines} joined by newlines to {@code relative}, creating directories; returns the file. */
    Path write(String relative, String... lines) {
        Path file = base.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    Path dir(String relative) {
        try {
            return Files.createDirectories(base.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String facet(String normal, String a, String b, String c) {
        return "facet normal " + normal + "\nouter loop\nvertex " + a + "\nvertex " + b + "\nvertex " + c
                + "\nendloop\nendfacet\n";
    }

    private static String line(int x1, int y1, int x2, int y2) {
        return "0\nLINE\n8\n0\n10\n" + x1 + "\n20\n" + y1 + "\n11\n" + x2 + "\n21\n" + y2 + "\n";
    }
}
