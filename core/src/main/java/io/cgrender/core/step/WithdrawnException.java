package io.cgrender.core.step;

import io.cgrender.core.CgrenderException;

/**
 * Thrown by a step when its operation gives way to another (e.g. another cgrender's box of the same role came first):
 * not an error, so everything the operation made is undone even with keep-on-error, with {@link Outcome#WITHDRAWN}.
 */
public class WithdrawnException extends CgrenderException {

    public WithdrawnException(String message) {
        super(message);
    }
}
