package io.cgrender.core.ui;

import java.io.PrintWriter;

/**
 * Where cgrender talks to the user. Results (tables, JSON, command output) go to {@link #out()}; status, progress,
 * warnings and errors go to {@link #err()} so that output stays pipeable.
 */
public final class Console {

    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean verbose;

    public Console(PrintWriter out, PrintWriter err, boolean verbose) {
        this.out = out;
        this.err = err;
        this.verbose = verbose;
    }

    /** A console that prints nothing, for tests and library use. */
    public static Console silent() {
        PrintWriter nowhere = new PrintWriter(java.io.OutputStream.nullOutputStream());
        return new Console(nowhere, nowhere, false);
    }

    public PrintWriter out() {
        return out;
    }

    public PrintWriter err() {
        return err;
    }

    public boolean isVerbose() {
        return verbose;
    }

    /** A status line, e.g. "launched box l-3f2a9c". */
    public void status(String message) {
        err.println(message);
        err.flush();
    }

    public void warn(String message) {
        err.println("warning: " + message);
        err.flush();
    }

    /** Only with {@code -v}. */
    public void verbose(String message) {
        if (verbose) {
            err.println(message);
            err.flush();
        }
    }

    /** A reporter for a wait that announces itself only if it lasts longer than {@link Progress#QUIET_PERIOD}. */
    public Progress progress() {
        return new ConsoleProgress(this);
    }
}
