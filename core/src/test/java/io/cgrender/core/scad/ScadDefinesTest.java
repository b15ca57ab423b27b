package io.cgrender.core.scad;

import io.cgrender.core.UsageException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScadDefinesTest {

    private static List<String> assignments(String src) {
        return ScadLexer.topLevelAssignments(src.getBytes(StandardCharsets.UTF_8));
    }

    private static Optional<String> problem(String value) {
        return ScadLexer.expressionProblem(value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void topLevelAssignmentsAreTheOnesOutsideEveryBlockCallAndList() {
        assertEquals(List.of("size", "label", "$fn", "holes"), assignments("""
                size = 10; // a size = 3 in a comment
                label = "a = b";
                $fn = 64;
                module part(width = 2) { inner = width * 2; cube(inner); }
                function f(x) = x == 1 ? 1 : 2;
                holes = [for (i = [0:3]) i];
                translate([0, 0, size]) part(width = 3);
                if (size == 10) { flag = true; }
                size = 12;
                """));
    }

    @Test
    void valuesThatCannotBeOneExpressionSayWhy() {
        assertEquals(Optional.empty(), problem("[1, 2, [3, 4]]"));
        assertEquals(Optional.empty(), problem("\"a ; b ( [\""));
        assertEquals(Optional.empty(), problem("size * 2 + f(3)"));
        assertEquals(Optional.of("'(' is never closed"), problem("(1 + 2"));
        assertEquals(Optional.of("']' closes nothing that is open"), problem("[1, 2]]"));
        assertEquals(Optional.of("']' closes nothing that is open"), problem("(1, 2]"));
        assertEquals(Optional.of("a string has no closing quote"), problem("\"abc"));
        assertEquals(Optional.of("';' ends it early"), problem("1; cube(99)"));
    }

    @Test
    void aBadValueIsRefusedNamingTheDefine() {
        UsageException e = assertThrows(UsageException.class,
                () -> ScadDefines.require(List.of("size=3", "label=\"abc")));
        assertEquals("-D 'label=\"abc': the value is not an OpenSCAD expression (a string has no closing quote);"
                + " quote text for the shell and for OpenSCAD, e.g. -D 'label=\"abc\"'", e.getMessage());
    }
}
