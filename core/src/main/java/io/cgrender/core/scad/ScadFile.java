package io.cgrender.core.scad;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * One file a render needs: the model itself or one of its dependencies, with where it goes on the box.
 *
 * @param path              the file on this machine (absolute, symbolic links resolved): what to read and upload
 * @param kind              how the file was first reached
 * @param declaredAt        the statement that first named it; empty for the model
 * @param root              the upload root it belongs to: {@code src} (the project) or {@code lib/<i>} (a library
 *                          directory), see {@link ScadDependencies}
 * @param relativePath      its path below {@code root}, with {@code /} separators
 * @param displayPath       how to show it to the user: below its library directory for a library file
 *                          ({@code BOSL2/std.scad}), otherwise relative to the current directory (or absolute when it
 *                          shares nothing with it but {@code /})
 * @param absoluteReference true when it was named by an absolute path: OpenSCAD on the box looks for it at that same
 *                          absolute path, which uploading below the work directory does not provide
 */
public record ScadFile(Path path, Kind kind, Optional<SourceLocation> declaredAt, String root, String relativePath,
                       String displayPath, boolean absoluteReference) {

    /** How a file is referenced. */
    public enum Kind {
        /** The model given to the scanner. */
        MODEL,
        /** {@code include <…>}: the file's text is inserted in place. */
        INCLUDE,
        /** {@code use <…>}: the file's modules and functions are made available. */
        USE,
        /** {@code import("…")}: an STL, OFF, AMF, 3MF, DXF, SVG or CSG file. */
        IMPORT,
        /** {@code surface("…")}: a height map (.dat or .png). */
        SURFACE;

        /** The keyword as written in OpenSCAD. */
        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where the file goes, relative to the job's work directory on the box: {@code root/relativePath}. */
    public String uploadPath() {
        return root + "/" + relativePath;
    }
}
