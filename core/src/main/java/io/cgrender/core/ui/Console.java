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
    private final Interrupts interrupts;

    public Console(PrintWriter out, PrintWriter err, boolean verbose) {
        this(out, err, verbose, Interrupts.JVM);
    }

    /** A console whose user interrupts the command through {@code interrupts}. */
    public Console(PrintWriter out, PrintWriter err, boolean verbose, Interrupts interrupts) {
        this.out = out;
        this.err = err;
        this.verbose = verbose;
        this.interrupts = interrupts;
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

    /** Where the user's interrupt (Ctrl-C) of the command comes from: what must run then is added there. */
    public Interrupts interrupts() {
        return interrupts;
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
