package io.cgrender.core.step;

import io.cgrender.core.CgrenderException;

/** The operation was cancelled (Ctrl-C); what it created has been cleaned up. */
public class CancelledException extends CgrenderException {

    public CancelledException(String message) {
        super(message);
    }

    public CancelledException(String message, Throwable cause) {
        super(message, cause);
    }
}
