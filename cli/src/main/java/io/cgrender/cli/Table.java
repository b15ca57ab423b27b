package io.cgrender.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * A plain-text table with a header row and left-aligned columns, as {@code list} commands print it. A table without rows
 * prints nothing at all, not even its header: the command says on standard error that there is nothing to show.
 */
public final class Table {

    private static final int GAP = 2;
    /** A column is never shortened below this, even when the table cannot fit. */
    private static final int MIN_COLUMN = 8;

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... header) {
        this.header = List.of(header);
    }

    public Table row(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("expected " + header.size() + " cells, got " + cells.length);
        }
        rows.add(List.of(cells));
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Prints the table, shortening long cells with {@code …} so that it fits the terminal, if it goes to one. */
    public void print(PrintWriter out, Terminal terminal) {
        print(out, terminal.columns());
    }

    /** Prints the table; with a {@code width}, the widest columns are shortened until each line fits in it. */
    public void print(PrintWriter out, OptionalInt width) {
        if (rows.isEmpty()) {
            return;
        }
        int[] widths = new int[header.size()];
        for (List<String> row : allRows()) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        if (width.isPresent()) {
            fit(widths, width.getAsInt());
        }
        for (List<String> row : allRows()) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                String cell = shortened(row.get(i), widths[i]);
                line.append(cell);
                if (i < row.size() - 1) {
                    line.append(" ".repeat(widths[i] - cell.length() + GAP));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    /** Narrows the widest column, one character at a time, until a line fits {@code width} or none can narrow. */
    private static void fit(int[] widths, int width) {
        while (Arrays.stream(widths).sum() + GAP * (widths.length - 1) > width) {
            int widest = 0;
            for (int i = 1; i < widths.length; i++) {
                if (widths[i] > widths[widest]) {
                    widest = i;
                }
            }
            if (widths[widest] <= MIN_COLUMN) {
                return;
            }
            widths[widest]--;
        }
    }

    private static String shortened(String cell, int width) {
        return cell.length() <= width ? cell : cell.substring(0, width - 1) + "…";
    }

    private List<List<String>> allRows() {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        return all;
    }
}
