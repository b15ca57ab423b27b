package io.cgrender.core.scad;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ScadLibraryPathTest {

    private static final Path CWD = Path.of("/work/proj");

    @Test
    void openScadPathEntriesThenConfiguredThenUserThenSystem() {
        List<Path> dirs = ScadLibraryPath.of(Map.of("OPENSCADPATH", "/a:rel/b", "HOME", "/home/al"), CWD,
                List.of(Path.of("/conf"), Path.of("vendor")));
        assertEquals(List.of(Path.of("/a"), Path.of("/work/proj/rel/b"), Path.of("/conf"),
                Path.of("/work/proj/vendor"), Path.of("/home/al/.local/share/OpenSCAD/libraries"),
                Path.of("/usr/share/openscad/libraries")), dirs);
    }

    @Test
    void anEmptyEntryIsTheCurrentDirectoryAsInOpenScad() {
        assertEquals(List.of(CWD, Path.of("/x"), CWD, ScadLibraryPath.SYSTEM_LIBRARY_DIR),
                ScadLibraryPath.of(Map.of("OPENSCADPATH", ":/x:"), CWD, List.of()));
        assertEquals(List.of(CWD, ScadLibraryPath.SYSTEM_LIBRARY_DIR),
                ScadLibraryPath.of(Map.of("OPENSCADPATH", ""), CWD, List.of()));
    }

    @Test
    void withoutOpenScadPathOrHomeOnlyTheSystemDirectoryRemains() {
        assertEquals(List.of(ScadLibraryPath.SYSTEM_LIBRARY_DIR), ScadLibraryPath.of(Map.of(), CWD, List.of()));
        // OpenSCAD 2021.01 ignores XDG_DATA_HOME for its user library directory.
        assertEquals(List.of(Path.of("/h/.local/share/OpenSCAD/libraries"), ScadLibraryPath.SYSTEM_LIBRARY_DIR),
                ScadLibraryPath.of(Map.of("HOME", "/h", "XDG_DATA_HOME", "/xdg"), CWD, List.of()));
    }
}
