package io.cgrender.core.scad;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScadLexerTest {

    private static List<ScadReference> lex(String source) {
        return ScadLexer.references(source.getBytes(StandardCharsets.UTF_8));
    }

    /** "kind target@line" for each reference, e.g. "INCLUDE a.scad@1". */
    private static List<String> summary(String source) {
        return lex(source).stream().map(r -> r.kind() + " " + r.target() + "@" + r.line())
                .collect(Collectors.toList());
    }

    @Test
    void includeAndUseWithWhitespaceAndNewlinesBeforeTheBracket() {
        assertEquals(List.of("INCLUDE a.scad@1", "USE b.scad@2", "INCLUDE c.scad@3", "USE d/e.scad@7"),
                summary("include <a.scad>\nuse<b.scad>\ninclude\t\n  <c.scad>\nx = 1;\n\nuse\r\n<d/e.scad>\n"));
    }

    @Test
    void commentsAndStringsAreNotStatements() {
        String source = String.join("\n",
                "// include <line.scad>",
                "/* use <block.scad>",
                "   include <block2.scad> */",
                "s = \"include <string.scad>\";",
                "t = \"quote \\\" include <escaped.scad>\";",
                "u = \"backslash \\\\\"; include <after.scad>",
                "v = \"multi",
                "line include <ml.scad>\"; use <real.scad>",
                "w = 1; // use <trailing.scad>",
                "include <last.scad>");
        assertEquals(List.of("INCLUDE after.scad@6", "USE real.scad@8", "INCLUDE last.scad@10"), summary(source));
    }

    @Test
    void includeIsNotTheTailOfALongerWordOrNumber() {
        // flex takes the longest match: an identifier (or a number running into letters) that goes on wins.
        assertEquals(List.of(), summary("myinclude <a.scad>\ninclude_x <b.scad>\n$include <c.scad>\n"
                + "15include <d.scad>\nreuse <e.scad>\n"));
        // A number that ends at a dot-fraction stops there, so "include" starts a new token.
        assertEquals(List.of("INCLUDE f.scad@1"), summary("x = 1.5include <f.scad>"));
    }

    @Test
    void includeInsideAModuleBodyCounts() {
        assertEquals(List.of("INCLUDE inner.scad@1"), summary("module m() { include <inner.scad> }"));
    }

    @Test
    void bracketContentKeepsSpacesAndCommentMarkersAndSkipsTabsAndNewlines() {
        assertEquals(List.of("INCLUDE a b.scad@1"), summary("include <a b.scad>"));
        assertEquals(List.of("INCLUDE x//y.scad@1"), summary("include <x//y.scad>"));
        // OpenSCAD's lexer drops a tab inside <>: the last directory part and the last name part make the path.
        assertEquals(List.of("INCLUDE sub/b.scad@1"), summary("include <sub/\tb.scad>"));
        assertEquals(List.of("USE lib/u.scad@1", "INCLUDE z.scad@3"), summary("use <lib/u.scad>\n\ninclude <z.scad>"));
    }

    @Test
    void anUnclosedBracketIsReportedWithoutATarget() {
        List<ScadReference> refs = lex("x = 1;\ninclude <never.scad");
        assertEquals(1, refs.size());
        assertNull(refs.get(0).target());
        assertEquals(2, refs.get(0).line());
    }

    @Test
    void importAndSurfaceWithLiteralArguments() {
        String source = String.join("\n",
                "import(\"a.stl\");",
                "import(file = \"b.stl\", convexity = 3);",
                "linear_extrude(1) import(\"c.dxf\", layer = \"x\");",
                "surface(\"d.dat\", center = true);",
                "surface(file=\"e.png\");",
                "import(convexity = 2, \"f.off\");",
                "import(filename = \"g.stl\");",
                "import(\"h.stl\", file = \"i.stl\");",
                "import(filename = \"j.stl\", \"k.stl\");",
                "import ( /* comment */ \"l.stl\" // more",
                "  );");
        assertEquals(List.of("IMPORT a.stl@1", "IMPORT b.stl@2", "IMPORT c.dxf@3", "SURFACE d.dat@4",
                "SURFACE e.png@5", "IMPORT f.off@6", "IMPORT g.stl@7", "IMPORT i.stl@8", "IMPORT k.stl@9",
                "IMPORT l.stl@10"), summary(source));
    }

    @Test
    void nonLiteralArgumentsAreReportedWithoutATarget() {
        List<ScadReference> refs = lex(String.join("\n",
                "name = \"a.stl\";",
                "import(name);",
                "import(file = str(\"part\", 1, \".stl\"));",
                "surface(file = dir == \"\" ? \"a.dat\" : \"b.dat\");",
                "import(\"a\" , file = name);"));
        assertEquals(4, refs.size());
        for (ScadReference ref : refs) {
            assertFalse(ref.isLiteral(), ref.toString());
        }
        assertEquals(List.of(2, 3, 4, 5), refs.stream().map(ScadReference::line).collect(Collectors.toList()));
        assertEquals("import(name)", refs.get(0).statement());
    }

    @Test
    void definitionsAndOtherUsesOfTheNamesAreNotCalls() {
        assertEquals(List.of(), summary("module import(f) { }\nfunction surface(f) = f;\nx = import;\n"
                + "import();\nmy_import(\"x.stl\");\nimportx(\"y.stl\");\n"));
    }

    @Test
    void stringEscapesAreDecodedAsOpenScadDoes() {
        assertEquals("x.stl", lex("import(\"\\u0078.stl\");").get(0).target());
        assertEquals("A.stl", lex("import(\"\\x41.stl\");").get(0).target());
        assertEquals("a\\b\"c.stl", lex("import(\"a\\\\b\\\"c.stl\");").get(0).target());
        assertEquals("qa.stl", lex("import(\"\\qa.stl\");").get(0).target()); // unknown escape: backslash dropped
        assertEquals("ab.stl", lex("import(\"a\nb.stl\");").get(0).target()); // raw newline dropped
        assertEquals("é.stl", lex("import(\"é.stl\");").get(0).target());
    }

    @Test
    void includeInsideAnImportArgumentListIsStillAnInclude() {
        assertEquals(List.of("INCLUDE i.scad@1", "IMPORT a.stl@1"), summary("import(include <i.scad> \"a.stl\");"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/*", "\"", "include", "include <", "import(", "import(\"", "x = 1.e", "$", "/"})
    void truncatedInputNeverFails(String source) {
        assertTrue(lex(source).size() <= 1);
    }
}
