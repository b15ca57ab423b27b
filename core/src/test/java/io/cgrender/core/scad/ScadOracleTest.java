package io.cgrender.core.scad;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scanner against the real thing: for each model, the files {@code openscad -d deps.mk} says it read are
 * exactly the files the scanner finds; and a box laid out from the scanner's result renders the same output.
 */
class ScadOracleTest {

    private static final Path EXAMPLES = Tree.EXAMPLES;
    private static final Path MCAD_UNITS = ScadLibraryPath.SYSTEM_LIBRARY_DIR.resolve("MCAD/units.scad");

    @TempDir
    Path tmp;
    private Path home;
    private Path out;

    @BeforeEach
    void setUp() throws IOException {
        OpenScad.assumeInstalled();
        tmp = tmp.toRealPath();
        home = Files.createDirectories(tmp.resolve("home")); // no user library directory: the test's own
        out = Files.createDirectories(tmp.resolve("out"));
    }

    /** The scanner's library path for the environment the oracle runs with. */
    private List<Path> libraryPath(String openScadPath, Path currentDir) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        if (openScadPath != null) {
            env.put("OPENSCADPATH", openScadPath);
        }
        return ScadLibraryPath.of(env, currentDir, List.of());
    }

    private static Set<Path> scannedFiles(ScadDependencies deps) {
        return deps.files().stream().map(ScadFile::path).collect(Collectors.toCollection(TreeSet::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny/cube.scad", "multi/bracket.scad", "medium/enclosure.scad"})
    void exampleModelsNeedExactlyTheFilesOpenScadReads(String model) throws Exception {
        Path dir = EXAMPLES.resolve(model).getParent();
        String name = EXAMPLES.resolve(model).getFileName().toString();
        // CSG export evaluates the whole model, import() included, without CGAL: the medium model's 15 s of
        // CGAL work would not change which files it reads.
        String format = model.startsWith("medium/") ? "csg" : "stl";
        OpenScad.Render render = OpenScad.render(dir, name, out.resolve("x." + format), null, home);
        ScadDependencies deps = new ScadDependencyScanner(libraryPath(null, dir), dir).scan(Path.of(name));
        assertEquals(new TreeSet<>(render.dependencies()), scannedFiles(deps), render.log());
        assertTrue(deps.warnings().isEmpty(), deps.warnings().toString());
    }

    @Test
    void everyParameterSetOfTheBracketRendersAndReadsTheSameFiles() throws Exception {
        Path dir = EXAMPLES.resolve("multi");
        Set<String> sets = ConfigFactory.parseFile(dir.resolve("bracket.json").toFile())
                .getObject("parameterSets").keySet();
        assertTrue(sets.size() >= 4, sets.toString());
        Set<Path> expected = scannedFiles(new ScadDependencyScanner(List.of(), dir).scan(Path.of("bracket.scad")));
        List<String> failures = new ArrayList<>();
        for (String set : sets) {
            OpenScad.Render render = OpenScad.render(dir, "bracket.scad", out.resolve(set + ".stl"), null, home,
                    "-p", "bracket.json", "-P", set);
            if (render.log().contains("WARNING") || render.log().contains("ERROR")
                    || Files.size(render.output()) == 0) {
                failures.add(set + ": " + render.log());
            }
            // A set without the logo does not evaluate import(); the scanner still names the file.
            Set<Path> read = new TreeSet<>(render.dependencies());
            assertTrue(expected.containsAll(read), set + ": " + read + " not within " + expected);
        }
        assertEquals(List.of(), failures);
    }

    /**
     * A library-style tree: a library dir on OPENSCADPATH with nested includes, a used file that includes others,
     * a file included directly and indirectly, {@code ../} paths, include statements in a comment and a string, an
     * import in an included file (resolved from the includer) and in used files in other directories (resolved from
     * those), a use cycle, a name with a space, two library dirs, and MCAD from the system library directory.
     */
    private Path libraryTree(Tree tree) {
        boolean mcad = Files.isRegularFile(MCAD_UNITS);
        tree.write("work/proj/main.scad",
                "// include <ignored/comment.scad>",
                "/* use <ignored/block.scad>",
                "   include <ignored/block2.scad> */",
                "s = \"include <ignored/string.scad>\";",
                "t = \"\\\" use <ignored/escaped.scad>\";",
                "include <common/defs.scad>",
                "include",
                "   <parts/part.scad>",
                "use <BOSL/std.scad>",
                "use <../shared/util.scad>",
                "include <common/with space.scad>",
                "include <extra.scad>",
                mcad ? "use <MCAD/units.scad>" : "// no MCAD here",
                "bolt(); part(); util(); translate([0, 0, 5]) cube(spaced + extra);");
        tree.write("work/proj/common/defs.scad", "defs = 1;");
        tree.write("work/proj/common/with space.scad", "spaced = 1;");
        tree.write("work/proj/parts/part.scad",
                "include <../common/defs.scad>",
                "module part() { translate([3, 0, 0]) import(\"part.stl\"); }");
        tree.write("work/proj/part.stl", Tree.STL);        // the one OpenSCAD reads: next to main.scad
        tree.write("work/proj/parts/part.stl", Tree.STL);  // a decoy next to part.scad
        tree.write("work/shared/util.scad",
                "use <BOSL/shapes.scad>",
                "module util() { translate([0, 3, 0]) import(\"mesh.stl\"); shape(); }");
        tree.write("work/shared/mesh.stl", Tree.STL);
        tree.write("libs/BOSL/std.scad",
                "include <internal/constants.scad>",
                "use <shapes.scad>",
                "module bolt() { translate([k, 0, 0]) shape(); }");
        tree.write("libs/BOSL/internal/constants.scad", "include <../../BOSL/internal/more.scad>", "k = 2 + more;");
        tree.write("libs/BOSL/internal/more.scad", "more = 1;");
        tree.write("libs/BOSL/shapes.scad",
                "include <internal/constants.scad>",
                "use <std.scad>",
                "module shape() {",
                "  linear_extrude(1) import(\"assets/profile.dxf\");",
                "  translate([0, 0, 2]) surface(file = \"assets/height.dat\");",
                "}");
        tree.write("libs/BOSL/assets/profile.dxf", Tree.DXF);
        tree.write("libs/BOSL/assets/height.dat", Tree.DAT);
        tree.write("libs2/extra.scad", "extra = 1;");
        tree.write("libs/extra.scad", "extra = 2; // shadowed by libs2, which comes first");
        return tree.path("work/proj");
    }

    @Test
    void aGeneratedLibraryTreeNeedsExactlyTheFilesOpenScadReads() throws Exception {
        Tree tree = new Tree(tmp.resolve("t"));
        Path proj = libraryTree(tree);
        String openScadPath = tree.path("libs2") + ":" + tree.path("libs");
        OpenScad.Render render = OpenScad.render(proj, "main.scad", out.resolve("x.stl"), openScadPath, home);
        ScadDependencies deps = new ScadDependencyScanner(libraryPath(openScadPath, proj), proj)
                .scan(Path.of("main.scad"));
        assertEquals(new TreeSet<>(render.dependencies()), scannedFiles(deps), render.log());
        assertFalse(render.log().contains("WARNING") || render.log().contains("ERROR"), render.log());
        assertTrue(deps.displayPaths().contains("BOSL/internal/more.scad"), deps.displayPaths().toString());
        assertTrue(deps.displayPaths().contains("../shared/mesh.stl"), deps.displayPaths().toString());
        boolean mcad = Files.isRegularFile(MCAD_UNITS);
        assertEquals(mcad, deps.displayPaths().contains("MCAD/units.scad"), deps.displayPaths().toString());
        assertEquals(mcad ? "lib/0:lib/1:lib/2" : "lib/0:lib/1", deps.boxOpenScadPath());
        assertEquals("src/proj/main.scad", deps.boxModelPath());
    }

    @Test
    void aBoxLaidOutFromTheScanRendersTheSameModelFromTheSameFiles() throws Exception {
        Tree tree = new Tree(tmp.resolve("t"));
        Path proj = libraryTree(tree);
        String openScadPath = tree.path("libs2") + ":" + tree.path("libs");
        OpenScad.Render client = OpenScad.render(proj, "main.scad", out.resolve("client.stl"), openScadPath, home);
        ScadDependencies deps = new ScadDependencyScanner(libraryPath(openScadPath, proj), proj)
                .scan(Path.of("main.scad"));
        assertRendersTheSameOnABox(deps, client);
    }

    @Test
    void aBoxLaidOutFromTheBracketExampleRendersTheSame() throws Exception {
        Path dir = EXAMPLES.resolve("multi");
        OpenScad.Render client = OpenScad.render(dir, "bracket.scad", out.resolve("client.stl"), null, home);
        ScadDependencies deps = new ScadDependencyScanner(libraryPath(null, dir), dir).scan(Path.of("bracket.scad"));
        assertRendersTheSameOnABox(deps, client);
    }

    /** Copies the files as the layout says, renders there, and compares files read and output. */
    private void assertRendersTheSameOnABox(ScadDependencies deps, OpenScad.Render client) throws Exception {
        Path box = Files.createDirectories(tmp.resolve("box"));
        for (ScadFile file : deps.files()) {
            Path target = box.resolve(file.uploadPath());
            Files.createDirectories(target.getParent());
            Files.copy(file.path(), target, StandardCopyOption.REPLACE_EXISTING);
        }
        for (String dir : deps.directories()) {
            Files.createDirectories(box.resolve(dir));
        }
        OpenScad.Render remote = OpenScad.render(box, deps.boxModelPath(), out.resolve("box.stl"),
                deps.boxLibraryPath().isEmpty() ? null : deps.boxOpenScadPath(), home);
        Set<Path> uploaded = deps.files().stream().map(f -> box.resolve(f.uploadPath()))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(uploaded, new TreeSet<>(remote.dependencies()), remote.log());
        assertFalse(remote.log().contains("WARNING") || remote.log().contains("ERROR"), remote.log());
        // OpenSCAD's STL facet order differs from run to run, so compare what the mesh is, not its bytes.
        Mesh expected = Mesh.read(client.output());
        Mesh actual = Mesh.read(remote.output());
        assertEquals(expected.volume(), actual.volume(), 1e-6 * Math.abs(expected.volume()), "volume");
        assertEquals(expected.area(), actual.area(), 1e-6 * expected.area(), "area");
        for (int i = 0; i < 6; i++) {
            assertEquals(expected.bounds().get(i), actual.bounds().get(i), 1e-9, "bounding box");
        }
    }

    /** What an ASCII STL describes, independent of facet order and triangulation. */
    record Mesh(double volume, double area, List<Double> bounds) {

        static Mesh read(Path stl) throws IOException {
            List<double[]> vertices = new ArrayList<>();
            double volume = 0;
            double area = 0;
            double[] min = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            double[] max = {-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
            for (String line : Files.readAllLines(stl)) {
                String[] words = line.trim().split("\\s+");
                if (!words[0].equals("vertex")) {
                    continue;
                }
                double[] v = {Double.parseDouble(words[1]), Double.parseDouble(words[2]), Double.parseDouble(words[3])};
                for (int i = 0; i < 3; i++) {
                    min[i] = Math.min(min[i], v[i]);
                    max[i] = Math.max(max[i], v[i]);
                }
                vertices.add(v);
                if (vertices.size() == 3) {
                    double[] a = vertices.get(0);
                    double[] b = vertices.get(1);
                    double[] c = vertices.get(2);
                    volume += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                            + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6;
                    double[] u = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
                    double[] w = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
                    area += Math.sqrt(Math.pow(u[1] * w[2] - u[2] * w[1], 2) + Math.pow(u[2] * w[0] - u[0] * w[2], 2)
                            + Math.pow(u[0] * w[1] - u[1] * w[0], 2)) / 2;
                    vertices.clear();
                }
            }
            if (area == 0) {
                throw new AssertionError("empty mesh: " + stl);
            }
            return new Mesh(volume, area, List.of(min[0], min[1], min[2], max[0], max[1], max[2]));
        }
    }
}
