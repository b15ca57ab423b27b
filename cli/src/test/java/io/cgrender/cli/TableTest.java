package io.cgrender.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TableTest {

    private static String print(Table table, OptionalInt width) {
        StringWriter out = new StringWriter();
        table.print(new PrintWriter(out), width);
        return out.toString();
    }

    private static Table jobs() {
        return new Table("ID", "KIND", "WHAT", "STAGE")
                .row("j-1a2b3c", "render", "examples/models/multi/bracket.scad -P small -P medium -P large -P huge"
                        + " -P gigantic (all sets)", "running")
                .row("j-4d5e6f", "run", "make", "succeeded");
    }

    @Test
    void longCellsAreShortenedToFitTheTerminal() {
        List<String> lines = print(jobs(), OptionalInt.of(60)).lines().toList();

        assertEquals(3, lines.size());
        lines.forEach(l -> assertTrue(l.length() <= 60, l.length() + ": " + l));
        assertTrue(lines.get(1).contains("examples/models/multi/bracket") && lines.get(1).endsWith("…  running"),
                lines.get(1));
        assertTrue(lines.get(2).startsWith("j-4d5e6f  run     make "), "short cells stay whole: " + lines.get(2));
    }

    @Test
    void withoutATerminalNothingIsShortened() {
        String out = print(jobs(), OptionalInt.empty());
        assertTrue(out.contains("-P gigantic (all sets)  running"), out);
    }

    @Test
    void columnsKeepAMinimumWidthWhenTheTerminalIsTooNarrow() {
        String out = print(jobs(), OptionalInt.of(10));
        assertTrue(out.lines().skip(1).allMatch(l -> l.startsWith("j-")), out);
        assertTrue(out.contains("  example…  "), "no column narrower than 8: " + out);
    }

    @Test
    void anEmptyTablePrintsNothing() {
        assertEquals("", print(new Table("ID", "ROLE"), OptionalInt.of(80)));
    }
}
