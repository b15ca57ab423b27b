package io.cgrender.core.scad;

import io.cgrender.core.UsageException;

import java.util.List;

/**
 * A model names a file that does not exist where OpenSCAD would look for it. cgrender refuses to render such a model
 * (OpenSCAD itself only warns and renders without the file), before anything is launched. The message names the
 * first missing file as {@code model.scad:12: include <parts/missing.scad> not found (looked in: ./, /usr/…/)};
 * {@link #missing()} has all of them.
 */
public class MissingScadDependencyException extends UsageException {

    private final List<Missing> missing;

    public MissingScadDependencyException(List<Missing> missing) {
        super(message(missing));
        this.missing = List.copyOf(missing);
    }

    private static String message(List<Missing> missing) {
        if (missing.isEmpty()) {
            throw new IllegalArgumentException("no missing file");
        }
        String first = missing.get(0).toString();
        return missing.size() == 1 ? first : first + " (and " + (missing.size() - 1) + " more missing)";
    }

    /** Every missing file, in the order the model reaches them. */
    public List<Missing> missing() {
        return missing;
    }

    /**
     * One statement whose file was not found.
     *
     * @param location  where the statement is
     * @param statement the statement as written, e.g. {@code include <parts/missing.scad>}
     * @param lookedIn  the directories searched, in order, as shown to the user; empty for an absolute name
     */
    public record Missing(SourceLocation location, String statement, List<String> lookedIn) {

        public Missing {
            lookedIn = List.copyOf(lookedIn);
        }

        @Override
        public String toString() {
            String where = lookedIn.isEmpty() ? "" : " (looked in: " + String.join(", ", lookedIn) + ")";
            return location + ": " + statement + " not found" + where;
        }
    }
}
