package io.cgrender.core.scad;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The library directories OpenSCAD 2021.01 searches for {@code include <…>} and {@code use <…>} after the
 * including file's own directory, in order:
 * <ol>
 *   <li>each entry of {@code OPENSCADPATH}, split on {@code :}, relative entries taken from the current directory;
 *       an empty entry (also {@code OPENSCADPATH=""}) means the current directory, as in OpenSCAD;</li>
 *   <li>library directories configured in cgrender (not an OpenSCAD notion: on the box they become
 *       {@code OPENSCADPATH} entries, so they are searched right after the user's own);</li>
 *   <li>the user library directory {@code $HOME/.local/share/OpenSCAD/libraries} (2021.01 ignores
 *       {@code XDG_DATA_HOME}; with {@code HOME} unset or empty it is left out);</li>
 *   <li>the system library directory {@code /usr/share/openscad/libraries} (Debian/Ubuntu packages; it holds MCAD).
 *       </li>
 * </ol>
 * Checked against {@code openscad -d} on Debian 12's OpenSCAD 2021.01 (parser_init() in
 * {@code src/parsersettings.cc}). Directories that do not exist are kept: OpenSCAD keeps them too, and they only
 * ever miss.
 */
public final class ScadLibraryPath {

    public static final Path SYSTEM_LIBRARY_DIR = Path.of("/usr/share/openscad/libraries");
    public static final String OPENSCADPATH = "OPENSCADPATH";

    private ScadLibraryPath() {
    }

    /** The search list for environment {@code env}, current directory {@code currentDir} and configured dirs. */
    public static List<Path> of(Map<String, String> env, Path currentDir, List<Path> configuredDirs) {
        Path cwd = currentDir.toAbsolutePath();
        List<Path> dirs = new ArrayList<>();
        String openScadPath = env.get(OPENSCADPATH);
        if (openScadPath != null) {
            for (String entry : openScadPath.split(":", -1)) {
                dirs.add(cwd.resolve(entry));
            }
        }
        for (Path dir : configuredDirs) {
            dirs.add(cwd.resolve(dir));
        }
        userLibraryDir(env).ifPresent(dirs::add);
        dirs.add(SYSTEM_LIBRARY_DIR);
        return List.copyOf(dirs);
    }

    /** {@link #of} for this process's environment and working directory. */
    public static List<Path> fromEnvironment(List<Path> configuredDirs) {
        return of(System.getenv(), Path.of("").toAbsolutePath(), configuredDirs);
    }

    /** {@code $HOME/.local/share/OpenSCAD/libraries}, if {@code HOME} is set to an absolute path. */
    public static Optional<Path> userLibraryDir(Map<String, String> env) {
        String home = env.get("HOME");
        if (home == null || home.isEmpty() || !Path.of(home).isAbsolute()) {
            return Optional.empty();
        }
        return Optional.of(Path.of(home, ".local", "share", "OpenSCAD", "libraries"));
    }
}
