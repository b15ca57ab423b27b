package io.cgrender.core;

/**
 * A failure cgrender can explain in one line. The message names the problem and, where there is one, the fix; a fix
 * that is a command or a setting of its own can go on a second line ({@link #fix}, {@link #see}), printed as
 * {@code fix: …} or {@code see: …} under {@code error: …}. Everything created on the way was cleaned up before this
 * is thrown (see {@link CleanupIncompleteException} for the case where it could not be).
 */
public class CgrenderException extends RuntimeException {

    private String hint;

    public CgrenderException(String message) {
        super(message);
    }

    public CgrenderException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Adds the second line {@code fix: what}: what to do about it, e.g. a command that works as written. */
    public CgrenderException fix(String what) {
        hint = "fix: " + what;
        return this;
    }

    /** Adds the second line {@code see: where}: where to read more, e.g. {@code cgrender render --help}. */
    public CgrenderException see(String where) {
        hint = "see: " + where;
        return this;
    }

    /** The second line, {@code fix: …} or {@code see: …}, if there is one. */
    public java.util.Optional<String> hint() {
        return java.util.Optional.ofNullable(hint);
    }
}
