package io.cgrender.core.scad;

/**
 * One reference to another file as written in one OpenSCAD source file, before it is resolved.
 *
 * @param kind      what kind of statement names the file
 * @param target    the file name as OpenSCAD reads it (escapes decoded); {@code null} when the argument of
 *                  {@code import()}/{@code surface()} is not a string literal and so cannot be known without running
 *                  the model
 * @param line      1-based line of the keyword ({@code include}, {@code use}, {@code import}, {@code surface})
 * @param statement the statement as the user wrote it, shortened to one line, for messages
 */
record ScadReference(ScadFile.Kind kind, String target, int line, String statement) {

    boolean isLiteral() {
        return target != null;
    }
}
