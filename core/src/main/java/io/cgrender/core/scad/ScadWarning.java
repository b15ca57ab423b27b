package io.cgrender.core.scad;

/**
 * Something the scanner could not settle without running OpenSCAD, such as {@code import(name)} with a variable
 * argument. The render may still work; the caller decides whether to go on.
 */
public record ScadWarning(SourceLocation location, String message) {

    /** {@code file:line: message}. */
    @Override
    public String toString() {
        return location + ": " + message;
    }
}
