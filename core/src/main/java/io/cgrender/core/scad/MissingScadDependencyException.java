package io.cgrender.core.scad;

import io.cgrender.core.UsageException;

import java.util.List;

/**
 * A model names a file that does not exist where OpenSCAD would look for it. cgrender refuses to render such a model
 * (OpenSCAD itself only warns and renders without the file), before anything is launched. The message names every
 * missing file as {@code model.scad:12: include <parts/missing.scad> not found (looked in: ./, /usr/…/)}, joined with
 * {@code ; }, and the fix says where to put them or how to make cgrender look where they are.
 */
public class MissingScadDependencyException extends UsageException {

    private final List<Missing> missing;

    public MissingScadDependencyException(List<Missing> missing) {
        super(message(missing));
        this.missing = List.copyOf(missing);
        fix("put " + (missing.size() == 1 ? "it" : "them") + " where the model looks, or add the directory that"
                + " holds " + (missing.size() == 1 ? "it" : "them") + " to OPENSCADPATH or to"
                + " cgrender.render.library-dirs");
    }

    private static String message(List<Missing> missing) {
        if (missing.isEmpty()) {
            throw new IllegalArgumentException("no missing file");
        }
        List<String> each = missing.stream().map(Missing::toString).toList();
        return each.size() == 1 ? each.get(0) : each.size() + " files are missing: " + String.join("; ", each);
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
