package io.cgrender.core.job;

import io.cgrender.core.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The globs of {@code run --outputs}: what they match, what they refuse, and that the box's find agrees. */
class OutputGlobsTest {

    private static final List<String> TREE = List.of("out/a.txt", "out/sub/b.txt", "out/.hidden", "outer/c.txt",
            "a.txt", ".dot.txt", "src/out/d.txt", "x/y/z/e.stl", "e.stl", "e.stlx", "a/b", "a/m/n/b", "ab",
            "f(1)+[x].{y}|^$", "f1", "notes.txt/inner", "q1.log", "q12.log");

    private static Set<String> matched(String... globs) {
        OutputGlobs g = OutputGlobs.parse(List.of(globs));
        Set<String> hits = new TreeSet<>();
        TREE.stream().filter(g::matches).forEach(hits::add);
        return hits;
    }

    @Test
    void aDirectoryStandsForEverythingBelowIt() {
        Set<String> out = Set.of("out/a.txt", "out/sub/b.txt", "out/.hidden");
        assertEquals(new TreeSet<>(out), matched("out/**"));
        assertEquals(new TreeSet<>(out), matched("out"));
        assertEquals(new TreeSet<>(out), matched("./out//"));
        assertTrue(OutputGlobs.parse(List.of("out/**")).matches("out"), "the directory itself, e.g. a link there");
    }

    @Test
    void aStarStaysWithinOneNameAndTakesDotFilesToo() {
        assertEquals(new TreeSet<>(Set.of("a.txt", ".dot.txt", "notes.txt/inner")), matched("*.txt"));
        assertEquals(new TreeSet<>(Set.of("q1.log")), matched("q?.log"));
    }

    @Test
    void twoStarsCrossAnyNumberOfDirectoriesNoneIncluded() {
        assertEquals(new TreeSet<>(Set.of("x/y/z/e.stl", "e.stl")), matched("**/*.stl"));
        assertEquals(new TreeSet<>(Set.of("a/b", "a/m/n/b")), matched("a/**/b"));
        assertEquals(new TreeSet<>(Set.of("out/a.txt", "src/out/d.txt", "out/sub/b.txt")),
                matched("**/out/**/*.txt"));
        assertEquals(new TreeSet<>(TREE), matched("**"));
    }

    @Test
    void everyOtherCharacterIsItself() {
        assertEquals(new TreeSet<>(Set.of("f(1)+[x].{y}|^$")), matched("f(1)+[x].{y}|^$"));
        assertEquals(Set.of(), matched("f[0-9]"));
    }

    @Test
    void severalGlobsMatchWhatAnyOfThemMatches() {
        assertEquals(new TreeSet<>(Set.of("e.stl", "ab")), matched("e.stl", "ab"));
    }

    @Test
    void globsOutsideTheWorkDirectoryAreRefused() {
        for (String bad : List.of("/etc/passwd", "~/out", "../x", "out/../../x", "a/..", "", " ", ".", "./", "a\\b",
                "a\nb")) {
            UsageException e = assertThrows(UsageException.class, () -> OutputGlobs.parse(List.of("ok", bad)),
                    "refused: " + bad);
            assertTrue(e.getMessage().startsWith("--outputs"), e.getMessage());
        }
        assertTrue(assertThrows(UsageException.class, () -> OutputGlobs.parse(List.of("../x"))).getMessage()
                .contains("leaves the job's work directory"));
        assertTrue(assertThrows(UsageException.class, () -> OutputGlobs.parse(List.of("."))).getMessage()
                .contains("--outputs '**'"));
    }

    /** The box matches with GNU find: it must choose exactly what {@link OutputGlobs#matches} does. */
    @Test
    void gnuFindOnTheBoxMatchesTheSameFiles(@TempDir Path dir) throws Exception {
        for (String f : TREE) {
            Path p = dir.resolve(f);
            Files.createDirectories(p.getParent());
            Files.writeString(p, f);
        }
        List<List<String>> cases = List.of(List.of("out/**"), List.of("*.txt"), List.of("**/*.stl"),
                List.of("a/**/b"), List.of("f(1)+[x].{y}|^$"), List.of("q?.log"), List.of("**"),
                List.of("e.stl", "out"), List.of("**/out/**/*.txt"));
        for (List<String> globs : cases) {
            OutputGlobs g = OutputGlobs.parse(globs);
            Process find = new ProcessBuilder("find", ".", "-regextype", "posix-extended", "-regex", g.findRegex(),
                    "-type", "f", "-printf", "%P\\0").directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(find.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, find.waitFor(), out);
            Set<String> byFind = new TreeSet<>(Arrays.asList(out.split("\0")));
            byFind.remove("");
            assertEquals(matched(globs.toArray(String[]::new)), byFind, "find and Java on " + globs);
            assertFalse(byFind.isEmpty(), "each case matches something: " + globs);
        }
    }

    @Test
    void theGlobsAreKeptAsGiven() {
        OutputGlobs g = OutputGlobs.parse(new ArrayList<>(List.of("./out/**", "*.log")));
        assertEquals(List.of("./out/**", "*.log"), g.globs());
        assertEquals("./out/**, *.log", g.toString());
    }
}
