package io.cgrender.core.job;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Shows a job's log with the user's own file names: each line's box paths (the job's work directories on the box)
 * are replaced with the local paths they came from, so OpenSCAD's "in file …, line 12" points at the user's file.
 * Works line by line; a partial last line is written on {@link #close()}. Remembers the last line for progress.
 */
public final class JobLogWriter extends OutputStream {

    private final PrintWriter out;
    private final List<Map.Entry<String, String>> replacements;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private volatile String lastLine = "";
    private long bytes;

    /** @param pathMap box path prefix → local path prefix; longer prefixes are tried first */
    public JobLogWriter(PrintWriter out, Map<String, String> pathMap) {
        this.out = out;
        this.replacements = new ArrayList<>(pathMap.entrySet());
        this.replacements.sort(Comparator.comparingInt((Map.Entry<String, String> e) -> e.getKey().length())
                .reversed());
    }

    @Override
    public synchronized void write(int b) {
        bytes++;
        line.write(b);
        if (b == '\n') {
            emit();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    @Override
    public synchronized void close() {
        if (line.size() > 0) {
            emit();
        }
        out.flush();
    }

    /** Rewrites one line of text. */
    public String rewrite(String text) {
        String result = text;
        for (Map.Entry<String, String> e : replacements) {
            result = result.replace(e.getKey(), e.getValue());
        }
        return result;
    }

    /** How many bytes of the log were written to it so far. */
    public synchronized long bytes() {
        return bytes;
    }

    /** The last complete line written, for progress reports. */
    public String lastLine() {
        return lastLine;
    }

    private void emit() {
        String text = rewrite(line.toString(StandardCharsets.UTF_8));
        if (!text.isBlank()) {
            lastLine = text.strip();
        }
        out.print(text);
        out.flush();
        line.reset();
    }
}
