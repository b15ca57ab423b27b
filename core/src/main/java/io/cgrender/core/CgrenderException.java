package io.cgrender.core;

/**
 * A failure cgrender can explain in one line. The message names the problem and, where there is one, the fix.
 * Everything created on the way was cleaned up before this is thrown (see {@link CleanupIncompleteException}
 * for the case where it could not be).
 */
public class CgrenderException extends RuntimeException {

    public CgrenderException(String message) {
        super(message);
    }

    public CgrenderException(String message, Throwable cause) {
        super(message, cause);
    }
}
