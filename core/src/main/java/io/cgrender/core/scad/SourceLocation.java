package io.cgrender.core.scad;

import java.nio.file.Path;

/**
 * A line in an OpenSCAD file.
 *
 * @param file the file as shown to the user (see {@link ScadFile#displayPath()})
 * @param path the file on this machine
 * @param line 1-based
 */
public record SourceLocation(String file, Path path, int line) {

    /** {@code file:line}, the form compilers use. */
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
