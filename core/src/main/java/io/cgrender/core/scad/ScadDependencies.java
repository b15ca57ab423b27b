package io.cgrender.core.scad;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every file an OpenSCAD model needs, and how to lay them out on a box so that OpenSCAD there resolves each
 * reference to the same file as here.
 *
 * <h2>Upload layout</h2>
 * Files are grouped under <em>roots</em>, directories on this machine:
 * <ul>
 *   <li>{@code src}: the project root, the nearest directory that holds the model and every dependency that is
 *       not in a library directory, and every directory a relative path climbs to with {@code ../}
 *       ({@code include <../common/x.scad>} from {@code /p/a/m.scad} makes it {@code /p});</li>
 *   <li>{@code lib/0}, {@code lib/1}, …: each library directory through which a file was found, in search order.
 *       Library directories inside another root (a library inside the project, nested library directories)
 *       do not get a root of their own; they live inside the enclosing one.</li>
 * </ul>
 * Each file goes to {@code <work>/<root>/<relativePath>} ({@link ScadFile#uploadPath()}). The empty directories in
 * {@link #directories()} must be created too (a path like {@code parts/../x.scad} only resolves if {@code parts}
 * exists). OpenSCAD is then run in {@code <work>} as
 * <pre>  OPENSCADPATH=&lt;boxOpenScadPath()&gt; openscad … &lt;boxModelPath()&gt;</pre>
 * ({@link #boxOpenScadPath()} holds paths relative to {@code <work>}; OpenSCAD takes relative entries from its current
 * directory). Why this reproduces every lookup: a root keeps the relative layout of everything below it, so lookups
 * relative to a file, to a used file's directory or to the model's directory land on the same files; the box's
 * {@code OPENSCADPATH} lists the library directories that were used, in the same order, and only files found here are
 * uploaded, so a library search that missed a directory here misses it there too, and the box's own library
 * directories come after every uploaded one. Two things cannot be reproduced by uploading: files named by an absolute
 * path ({@link ScadFile#absoluteReference()}), and {@code ../} taken physically through a symbolic link (the box has
 * no links; the layout follows the path as written).
 */
public final class ScadDependencies {

    /** The project's upload root. */
    public static final String PROJECT_ROOT = "src";

    private final List<ScadFile> files;
    private final List<ScadWarning> warnings;
    private final List<UploadRoot> roots;
    private final String boxModelPath;
    private final List<String> boxLibraryPath;
    private final List<String> directories;

    ScadDependencies(List<ScadFile> files, List<ScadWarning> warnings, List<UploadRoot> roots, String boxModelPath,
                     List<String> boxLibraryPath, List<String> directories) {
        this.files = List.copyOf(files);
        this.warnings = List.copyOf(warnings);
        this.roots = List.copyOf(roots);
        this.boxModelPath = boxModelPath;
        this.boxLibraryPath = List.copyOf(boxLibraryPath);
        this.directories = List.copyOf(directories);
    }

    /** The model itself, always {@code files().get(0)}. */
    public ScadFile model() {
        return files.get(0);
    }

    /**
     * The model, then each dependency once, in the order OpenSCAD reaches them (includes depth first, then used
     * files). A file reached under two names (through a symbolic link) is listed once per name: the box needs both.
     */
    public List<ScadFile> files() {
        return files;
    }

    /** Only the dependencies: {@link #files()} without the model. */
    public List<ScadFile> dependencies() {
        return files.subList(1, files.size());
    }

    /** {@link ScadFile#displayPath()} of each file, model first: one line each for {@code --dry-run}. */
    public List<String> displayPaths() {
        return files.stream().map(ScadFile::displayPath).collect(Collectors.toUnmodifiableList());
    }

    /** References the scanner could not settle, such as {@code import(name)} with a variable. */
    public List<ScadWarning> warnings() {
        return warnings;
    }

    /** The upload roots: the project first, then the libraries in search order. */
    public List<UploadRoot> roots() {
        return roots;
    }

    /** The model's path on the box, relative to the work directory, e.g. {@code src/bracket.scad}. */
    public String boxModelPath() {
        return boxModelPath;
    }

    /** The library directories for OpenSCAD on the box, relative to the work directory, in search order. */
    public List<String> boxLibraryPath() {
        return boxLibraryPath;
    }

    /**
     * {@link #boxLibraryPath()} joined with {@code :}: the value of {@code OPENSCADPATH} on the box. When it is empty,
     * leave {@code OPENSCADPATH} unset there rather than set it empty: OpenSCAD reads an empty entry as the current
     * directory.
     */
    public String boxOpenScadPath() {
        return String.join(":", boxLibraryPath);
    }

    /**
     * Directories (relative to the work directory) that must exist on the box although no uploaded file is in them,
     * because a reference passes through them before a {@code ../}. Usually empty.
     */
    public List<String> directories() {
        return directories;
    }

    /** True if some file was named by an absolute path, which an upload below the work directory does not cover. */
    public boolean hasAbsoluteReferences() {
        return files.stream().anyMatch(ScadFile::absoluteReference);
    }

    /**
     * One upload root.
     *
     * @param name {@code src} or {@code lib/<i>}: the directory below the work directory on the box
     * @param dir  the directory on this machine it mirrors
     */
    public record UploadRoot(String name, Path dir) {
    }
}
