package io.cgrender.boxes;

import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Heartbeat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a package manager's long commands for a box's setup: the latest output line is the progress line while it
 * runs (all of the output with {@code -v}), and the last lines are kept for the error that names what failed.
 */
final class PackageCommands {

    /** How many of a failed command's last lines its error shows. */
    static final int TAIL_LINES = 12;

    private final Console console;
    private final Duration timeout;

    PackageCommands(Console console, Duration timeout) {
        this.console = console;
        this.timeout = timeout;
    }

    /** Runs {@code command} on {@code host}; {@code stage} names it in the progress line. */
    Run run(RemoteHost host, String command, String stage) {
        Tail tail = new Tail(console.isVerbose() ? console.err() : null);
        try (Heartbeat ignored = Heartbeat.start(console.progress(), stage, timeout, tail::lastLine)) {
            return new Run(host.exec(command, timeout, null, tail, tail), tail);
        }
    }

    /** A command's result and its output. */
    record Run(ExecResult result, Tail output) {

        boolean succeeded() {
            return result.succeeded();
        }

        /** The last lines of the output, indented, for an error message. */
        String lastLines() {
            StringBuilder out = new StringBuilder();
            for (String line : output.lastLines(TAIL_LINES)) {
                out.append("  ").append(line).append('\n');
            }
            return out.toString().stripTrailing();
        }
    }

    /** Keeps the last 64 KiB of a command's output, optionally echoing it to the console as it comes. */
    static final class Tail extends OutputStream {
        private static final int LIMIT = 64 * 1024;
        private final PrintWriter echo;
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Tail(PrintWriter echo) {
            this.echo = echo;
        }

        @Override
        public synchronized void write(int b) {
            pending.write(b);
            if (b == '\n') {
                flushPending();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        private void flushPending() {
            String chunk = pending.toString(StandardCharsets.UTF_8);
            pending.reset();
            text.append(chunk);
            if (text.length() > LIMIT) {
                text.delete(0, text.length() - LIMIT);
            }
            if (echo != null) {
                echo.print(chunk);
                echo.flush();
            }
        }

        synchronized String text() {
            flushPending();
            return text.toString();
        }

        /** The last complete line so far, shortened for a progress line. */
        synchronized String lastLine() {
            String done = text.toString().stripTrailing();
            String line = done.substring(done.lastIndexOf('\n') + 1).strip();
            return line.length() <= 80 ? line : line.substring(0, 77) + "...";
        }

        synchronized List<String> lastLines(int n) {
            String[] lines = text().split("\n");
            List<String> out = new ArrayList<>();
            for (int i = Math.max(0, lines.length - n); i < lines.length; i++) {
                if (!lines[i].isBlank()) {
                    out.add(lines[i]);
                }
            }
            return out;
        }
    }
}
