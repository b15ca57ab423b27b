package io.cgrender.core;

import java.util.List;

/**
 * Something was left behind: cleanup failed for some resources, or the user asked to keep them on error.
 * {@link #leftBehind()} names every resource by id so the user can remove it by hand. Exit code 3.
 */
public class CleanupIncompleteException extends CgrenderException {

    private final List<String> leftBehind;

    public CleanupIncompleteException(String message, Throwable cause, List<String> leftBehind) {
        super(message, cause);
        this.leftBehind = List.copyOf(leftBehind);
    }

    /** Human-readable descriptions of what still exists, each naming its id, e.g. {@code "box l-3f2a9c (local)"}. */
    public List<String> leftBehind() {
        return leftBehind;
    }
}
