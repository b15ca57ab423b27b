package io.cgrender.core.scad;

import io.cgrender.core.UsageException;
import io.cgrender.core.scad.ScadFile.Kind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScadDependencyScannerTest {

    @TempDir
    Path tmp;
    private Tree tree;

    @BeforeEach
    void setUp() throws IOException {
        tree = new Tree(tmp.toRealPath());
    }

    private ScadDependencies scan(String model, String currentDir, String... libraryDirs) {
        List<Path> libs = java.util.Arrays.stream(libraryDirs).map(tree::path).collect(Collectors.toList());
        return new ScadDependencyScanner(libs, tree.path(currentDir)).scan(tree.path(model));
    }

    private static List<String> uploads(ScadDependencies deps) {
        return deps.files().stream().map(ScadFile::uploadPath).collect(Collectors.toList());
    }

    private static ScadFile file(ScadDependencies deps, String displayPath) {
        return deps.files().stream().filter(f -> f.displayPath().equals(displayPath)).findFirst()
                .orElseThrow(() -> new AssertionError(displayPath + " not in " + deps.displayPaths()));
    }

    @Test
    void missingIncludeNamesFileLineAndTheDirectoriesSearched() {
        tree.write("proj/model.scad", "x = 1;", "", "include <parts/missing.scad>");
        tree.dir("lib1");
        MissingScadDependencyException e = assertThrows(MissingScadDependencyException.class,
                () -> scan("proj/model.scad", "proj", "lib1", "lib2"));
        assertEquals("model.scad:3: include <parts/missing.scad> not found (looked in: ./, ../lib1/, ../lib2/)",
                e.getMessage());
        assertTrue(e instanceof UsageException);
        assertEquals(3, e.missing().get(0).location().line());
    }

    @Test
    void missingFilesDeepInTheTreeAreShownRelativeToTheCurrentDirectoryAndAllCollected() {
        tree.write("proj/model.scad", "include <parts/a.scad>", "use <parts/gone.scad>");
        tree.write("proj/parts/a.scad", "// a part", "include <b.scad>");
        MissingScadDependencyException e = assertThrows(MissingScadDependencyException.class,
                () -> scan("proj/model.scad", "."));
        assertEquals("2 files are missing: proj/parts/a.scad:2: include <b.scad> not found (looked in: proj/parts/);"
                + " proj/model.scad:2: use <parts/gone.scad> not found (looked in: proj/)", e.getMessage());
        assertEquals("fix: put them where the model looks, or add the directory that holds them to OPENSCADPATH or to"
                + " cgrender.render.library-dirs", e.hint().orElseThrow());
        assertEquals("proj/model.scad:2: use <parts/gone.scad> not found (looked in: proj/)",
                e.missing().get(1).toString());
    }

    @Test
    void missingImportNamesFileLineAndTheDirectoriesSearched() {
        tree.write("proj/model.scad", "use <lib/u.scad>", "u();", "import(\"../assets/nope.stl\");");
        tree.write("proj/lib/u.scad", "module u() {", "  surface(file = \"h.dat\");", "}");
        MissingScadDependencyException e = assertThrows(MissingScadDependencyException.class,
                () -> scan("proj/model.scad", "proj"));
        assertEquals(List.of("model.scad:3: import(\"../assets/nope.stl\") not found (looked in: ./)",
                        "lib/u.scad:2: surface(file = \"h.dat\") not found (looked in: lib/, ./)"),
                e.missing().stream().map(Object::toString).collect(Collectors.toList()));
    }

    @Test
    void aNonLiteralImportIsAWarningNotAnError() {
        tree.write("model.scad", "name = \"a.stl\";", "import(name);", "surface(file = str(\"h\", \".dat\"));");
        ScadDependencies deps = scan("model.scad", ".");
        assertEquals(List.of("src/model.scad"), uploads(deps));
        assertEquals(List.of("model.scad:2", "model.scad:3"),
                deps.warnings().stream().map(w -> w.location().toString()).collect(Collectors.toList()));
        assertTrue(deps.warnings().get(0).message().contains("not a string literal"), deps.warnings().toString());
        assertTrue(deps.warnings().get(0).toString().startsWith("model.scad:2: import(name)"));
    }

    @Test
    void includeAndUseCyclesTerminate() {
        tree.write("a.scad", "include <b.scad>", "use <c.scad>");
        tree.write("b.scad", "include <a.scad>", "include <b.scad>");
        tree.write("c.scad", "use <d.scad>", "use <c.scad>");
        tree.write("d.scad", "use <c.scad>", "include <a.scad>");
        ScadDependencies deps = scan("a.scad", ".");
        assertEquals(List.of("a.scad", "b.scad", "c.scad", "d.scad"), deps.displayPaths());
        assertTrue(deps.warnings().stream().anyMatch(w -> w.message().contains("into itself")),
                deps.warnings().toString());
    }

    @Test
    void aFileIncludedTwiceIsListedOnceWithItsFirstDeclaration() {
        tree.write("m.scad", "include <common.scad>", "include <part.scad>");
        tree.write("part.scad", "include <common.scad>");
        tree.write("common.scad", "c = 1;");
        ScadDependencies deps = scan("m.scad", ".");
        assertEquals(List.of("m.scad", "common.scad", "part.scad"), deps.displayPaths());
        ScadFile common = file(deps, "common.scad");
        assertEquals("m.scad:1", common.declaredAt().orElseThrow().toString());
        assertEquals(Kind.INCLUDE, common.kind());
        assertEquals(Kind.MODEL, deps.model().kind());
        assertTrue(deps.model().declaredAt().isEmpty());
    }

    @Test
    void absolutePathsAreTakenAsTheyAreAndFlagged() {
        Path shared = tree.write("elsewhere/shared.scad", "s = 1;");
        Path stl = tree.write("elsewhere/shape.stl", Tree.STL);
        tree.write("home/p/m.scad", "include <" + shared + ">", "import(\"" + stl + "\");");
        ScadDependencies deps = scan("home/p/m.scad", "home/p");
        assertEquals(List.of(false, true, true),
                deps.files().stream().map(ScadFile::absoluteReference).collect(Collectors.toList()));
        assertTrue(deps.hasAbsoluteReferences());
        // The project root widens to hold them (a common ancestor), so they are still uploaded.
        assertEquals(tree.base(), deps.roots().get(0).dir());
        assertEquals(List.of("src/home/p/m.scad", "src/elsewhere/shared.scad", "src/elsewhere/shape.stl"),
                uploads(deps));

        tree.write("home/p/bad.scad", "import(\"/no/such/dir/x.stl\");");
        MissingScadDependencyException e = assertThrows(MissingScadDependencyException.class,
                () -> scan("home/p/bad.scad", "home/p"));
        assertEquals("bad.scad:1: import(\"/no/such/dir/x.stl\") not found", e.getMessage());
    }

    @Test
    void theProjectRootIsTheCommonAncestorOfTheModelAndItsNonLibraryFiles() {
        tree.write("p/models/m.scad", "include <../common/c.scad>", "import(\"../../assets/a.stl\");",
                "use <local/u.scad>");
        tree.write("p/common/c.scad", "c = 1;");
        tree.write("assets/a.stl", Tree.STL);
        tree.write("p/models/local/u.scad", "module u() { surface(\"h.dat\"); }");
        tree.write("p/models/local/h.dat", Tree.DAT);
        ScadDependencies deps = scan("p/models/m.scad", "p/models");
        // import() in the model climbs two levels: the root is the directory holding p/ and assets/.
        assertEquals(List.of(new ScadDependencies.UploadRoot("src", tree.base())), deps.roots());
        assertEquals(List.of("src/p/models/m.scad", "src/p/common/c.scad", "src/assets/a.stl",
                "src/p/models/local/u.scad", "src/p/models/local/h.dat"), uploads(deps));
        assertEquals("src/p/models/m.scad", deps.boxModelPath());
        assertEquals(List.of("m.scad", "../common/c.scad", "../../assets/a.stl", "local/u.scad", "local/h.dat"),
                deps.displayPaths());
        assertEquals("", deps.boxOpenScadPath());
        assertEquals(List.of(Kind.MODEL, Kind.INCLUDE, Kind.IMPORT, Kind.USE, Kind.SURFACE),
                deps.files().stream().map(ScadFile::kind).collect(Collectors.toList()));
    }

    @Test
    void libraryFilesLiveUnderTheirLibraryRootAndAreShownBelowIt() throws IOException {
        tree.write("proj/m.scad", "include <BOSL2/std.scad>", "use <MCAD/units.scad>", "cuboid(10);");
        tree.write("home/libs/BOSL2/std.scad", "include <builtins.scad>", "include <../BOSL2/shapes3d.scad>");
        tree.write("home/libs/BOSL2/builtins.scad", "b = 1;");
        tree.write("home/libs/BOSL2/shapes3d.scad", "module cuboid(s) { cube(s); }");
        tree.write("sys/MCAD/units.scad", "mm = 1;");
        tree.dir("empty");
        ScadDependencies deps = scan("proj/m.scad", "proj", "empty", "home/libs", "sys");
        assertEquals(List.of("m.scad", "BOSL2/std.scad", "BOSL2/builtins.scad", "BOSL2/shapes3d.scad",
                "MCAD/units.scad"), deps.displayPaths());
        assertEquals(List.of("src/m.scad", "lib/0/BOSL2/std.scad", "lib/0/BOSL2/builtins.scad",
                "lib/0/BOSL2/shapes3d.scad", "lib/1/MCAD/units.scad"), uploads(deps));
        assertEquals(List.of("src", "lib/0", "lib/1"),
                deps.roots().stream().map(ScadDependencies.UploadRoot::name).collect(Collectors.toList()));
        assertEquals(tree.path("home/libs"), deps.roots().get(1).dir());
        assertEquals("lib/0:lib/1", deps.boxOpenScadPath());
        ScadFile std = file(deps, "BOSL2/std.scad");
        assertEquals("BOSL2/std.scad", std.relativePath());
        assertEquals("lib/0", std.root());
        assertEquals(tree.path("home/libs/BOSL2/std.scad").toRealPath(), std.path());
        assertEquals("BOSL2/std.scad:2", file(deps, "BOSL2/shapes3d.scad").declaredAt().orElseThrow().toString());
        assertTrue(deps.directories().isEmpty(), deps.directories().toString());
    }

    @Test
    void theIncludingFilesDirectoryComesBeforeLibrariesAndTheFirstLibraryWins() {
        tree.write("proj/m.scad", "include <x.scad>", "include <y.scad>");
        tree.write("proj/x.scad", "x = \"local\";");
        tree.write("l1/x.scad", "x = 1;");
        tree.write("l2/y.scad", "y = 2;");
        tree.write("l3/y.scad", "y = 3;");
        ScadDependencies deps = scan("proj/m.scad", ".", "l1", "l2", "l3");
        assertEquals(List.of("src/m.scad", "src/x.scad", "lib/0/y.scad"), uploads(deps));
        assertEquals(List.of("proj/m.scad", "proj/x.scad", "y.scad"), deps.displayPaths());
        assertEquals(tree.path("l2"), deps.roots().get(1).dir());
        assertEquals("lib/0", deps.boxOpenScadPath());
    }

    @Test
    void importsResolveFromTheFileModuleTheyBelongTo() {
        tree.write("proj/m.scad", "include <sub/inc.scad>", "use <lib/u.scad>", "i(); u();");
        // Included: its import resolves from m.scad's directory, not from sub/.
        tree.write("proj/sub/inc.scad", "module i() { import(\"shape.stl\"); }");
        tree.write("proj/shape.stl", Tree.STL);
        tree.write("proj/sub/shape.stl", Tree.STL);
        // Used: from lib/, also for calls in files lib/u.scad includes; else (deprecated) from the model's directory.
        tree.write("proj/lib/u.scad", "include <deep/d.scad>", "module u() { d(); import(\"fallback.stl\"); }");
        tree.write("proj/lib/deep/d.scad", "module d() { surface(\"h.dat\"); }");
        tree.write("proj/lib/h.dat", Tree.DAT);
        tree.write("proj/lib/deep/h.dat", Tree.DAT);
        tree.write("proj/fallback.stl", Tree.STL);
        ScadDependencies deps = scan("proj/m.scad", "proj");
        assertEquals(List.of("m.scad", "sub/inc.scad", "shape.stl", "lib/u.scad", "lib/deep/d.scad", "lib/h.dat",
                "fallback.stl"), deps.displayPaths());
        assertEquals(1, deps.warnings().size(), deps.warnings().toString());
        assertEquals("lib/u.scad:2", deps.warnings().get(0).location().toString());
        assertTrue(deps.warnings().get(0).message().contains("deprecated"));
    }

    @Test
    void aUseInAnIncludedFileFallsBackToTheFileModulesDirectory() {
        tree.write("m.scad", "include <sub/a.scad>");
        tree.write("sub/a.scad", "use <beside-model.scad>");
        tree.write("beside-model.scad", "module r() {}");
        assertEquals(List.of("m.scad", "sub/a.scad", "beside-model.scad"), scan("m.scad", ".").displayPaths());
    }

    @Test
    void aFileIncludedIntoTwoFileModulesResolvesItsImportsInEach() {
        tree.write("m.scad", "include <shared/s.scad>", "use <lib/u.scad>");
        tree.write("lib/u.scad", "include <../shared/s.scad>");
        tree.write("shared/s.scad", "import(\"part.stl\");");
        tree.write("part.stl", Tree.STL);
        tree.write("lib/part.stl", Tree.STL);
        assertEquals(List.of("m.scad", "shared/s.scad", "part.stl", "lib/u.scad", "lib/part.stl"),
                scan("m.scad", ".").displayPaths());
    }

    @Test
    void directoriesAPathPassesThroughMustExistOnTheBox() {
        tree.write("m.scad", "include <empty/../x.scad>", "include <full/../y.scad>", "include <full/z.scad>");
        tree.dir("empty");
        tree.write("x.scad", "x = 1;");
        tree.write("y.scad", "y = 1;");
        tree.write("full/z.scad", "z = 1;");
        ScadDependencies deps = scan("m.scad", ".");
        assertEquals(List.of("src/m.scad", "src/x.scad", "src/y.scad", "src/full/z.scad"), uploads(deps));
        assertEquals(List.of("src/empty"), deps.directories());
    }

    @Test
    void nestedLibraryDirectoriesShareOneRoot() {
        tree.write("proj/m.scad", "include <a.scad>", "include <BOSL2/b.scad>");
        tree.write("libs/BOSL2/a.scad", "a = 1;");
        tree.write("libs/BOSL2/b.scad", "b = 1;");
        ScadDependencies deps = scan("proj/m.scad", ".", "libs/BOSL2", "libs");
        assertEquals(List.of("src/m.scad", "lib/0/BOSL2/a.scad", "lib/0/BOSL2/b.scad"), uploads(deps));
        assertEquals(List.of("lib/0/BOSL2", "lib/0"), deps.boxLibraryPath());
    }

    @Test
    void aLibraryInsideTheProjectIsPartOfTheProjectRoot() {
        tree.write("proj/m.scad", "include <v.scad>");
        tree.write("proj/vendor/v.scad", "v = 1;");
        ScadDependencies deps = scan("proj/m.scad", "proj", "proj/vendor");
        assertEquals(List.of("src/m.scad", "src/vendor/v.scad"), uploads(deps));
        assertEquals("src/vendor", deps.boxOpenScadPath());
        assertEquals(1, deps.roots().size());
    }

    @Test
    void aLibraryPathThatClimbsOutOfItsLibraryWidensThatLibrarysRoot() {
        tree.write("proj/m.scad", "include <../shared/s.scad>");
        tree.write("libs/one/placeholder.txt", "");
        tree.write("libs/shared/s.scad", "s = 1;");
        ScadDependencies deps = scan("proj/m.scad", ".", "libs/one");
        assertEquals(List.of("src/m.scad", "lib/0/shared/s.scad"), uploads(deps));
        assertEquals("lib/0/one", deps.boxOpenScadPath());
        assertEquals(List.of("lib/0/one"), deps.directories());
    }

    @Test
    void aLibraryCheckedOutThroughASymbolicLinkIsUploadedWhereTheModelSeesIt() throws IOException {
        tree.write("ext/BOSL2/std.scad", "include <more.scad>");
        tree.write("ext/BOSL2/more.scad", "m = 1;");
        tree.write("proj/m.scad", "include <BOSL2/std.scad>");
        Files.createSymbolicLink(tree.path("proj/BOSL2"), Path.of("../ext/BOSL2"));
        ScadDependencies deps = scan("proj/m.scad", "proj");
        assertEquals(List.of("src/m.scad", "src/BOSL2/std.scad", "src/BOSL2/more.scad"), uploads(deps));
        assertEquals(tree.path("ext/BOSL2/more.scad"), deps.files().get(2).path());
    }

    @Test
    void theBracketExampleUsesEveryKindOfReference() {
        Path dir = Tree.EXAMPLES.resolve("multi");
        ScadDependencies deps = new ScadDependencyScanner(List.of(), dir).scan(Path.of("bracket.scad"));
        assertEquals(List.of("bracket.scad", "lib/params.scad", "lib/shapes.scad", "lib/geometry/rounding.scad",
                "assets/logo.svg"), deps.displayPaths());
        assertEquals(List.of(Kind.MODEL, Kind.INCLUDE, Kind.USE, Kind.INCLUDE, Kind.IMPORT),
                deps.files().stream().map(ScadFile::kind).collect(Collectors.toList()));
        assertEquals(List.of("src/bracket.scad", "src/lib/params.scad", "src/lib/shapes.scad",
                "src/lib/geometry/rounding.scad", "src/assets/logo.svg"), uploads(deps));
        assertEquals("lib/shapes.scad:32", deps.files().get(4).declaredAt().orElseThrow().toString());
        assertTrue(deps.warnings().isEmpty(), deps.warnings().toString());
    }

    @Test
    void aMissingOrDirectoryModelIsAUsageError() {
        tree.dir("d");
        UsageException missing = assertThrows(UsageException.class, () -> scan("nope.scad", "."));
        assertEquals("nope.scad: no such file", missing.getMessage().replace(tree.base() + "/", ""));
        UsageException dir = assertThrows(UsageException.class, () -> scan("d", "."));
        assertTrue(dir.getMessage().contains("is a directory"), dir.getMessage());
    }

    @Test
    void aScannerKeepsNoStateBetweenScans() {
        tree.write("a.scad", "include <x.scad>");
        tree.write("b.scad", "include <y.scad>");
        tree.write("x.scad", "");
        tree.write("y.scad", "");
        ScadDependencyScanner scanner = new ScadDependencyScanner(List.of(), tree.base());
        assertEquals(List.of("a.scad", "x.scad"), scanner.scan(Path.of("a.scad")).displayPaths());
        assertEquals(List.of("b.scad", "y.scad"), scanner.scan(Path.of("b.scad")).displayPaths());
    }

    @Test
    void aLargeLibraryScansWellUnderASecond(TestReporter reporter) {
        // 300 library files: an umbrella file includes 100 part files, each of which includes a shared constants
        // file and uses one of 200 helper files (each helper includes the constants too and imports an asset).
        StringBuilder umbrella = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            umbrella.append("include <parts/p").append(i).append(".scad>\n");
            tree.write("libs/big/parts/p" + i + ".scad", "include <../constants.scad>",
                    "use <../helpers/h" + i + ".scad>", "use <../helpers/h" + (100 + i) + ".scad>",
                    "/* " + "filler text ".repeat(200) + " */", "module p" + i + "() { h(); }");
        }
        for (int i = 0; i < 200; i++) {
            tree.write("libs/big/helpers/h" + i + ".scad", "include <../constants.scad>",
                    "module h() { import(\"../assets/a" + (i % 10) + ".stl\"); }", "// " + "x".repeat(2000));
        }
        for (int i = 0; i < 10; i++) {
            tree.write("libs/big/assets/a" + i + ".stl", Tree.STL);
        }
        tree.write("libs/big/constants.scad", "k = 1;");
        tree.write("libs/big/all.scad", umbrella.toString());
        tree.write("proj/m.scad", "include <big/all.scad>");
        long start = System.nanoTime();
        ScadDependencies deps = scan("proj/m.scad", ".", "libs");
        long millis = (System.nanoTime() - start) / 1_000_000;
        reporter.publishEntry("scan of 311 files (ms)", Long.toString(millis));
        assertEquals(1 + 1 + 100 + 1 + 200 + 10, deps.files().size());
        assertTrue(millis < 1000, "scanning took " + millis + " ms");
        assertEquals(List.of("src", "lib/0"),
                deps.roots().stream().map(ScadDependencies.UploadRoot::name).collect(Collectors.toList()));
        assertTrue(deps.files().stream().skip(1).allMatch(f -> f.root().equals("lib/0")));
        assertEquals("big/helpers/h0.scad", deps.files().get(4).displayPath());
    }
}
