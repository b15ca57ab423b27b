package io.cgrender.core.step;

/** How the run a cleanup belongs to ended. A step undoes its product only when the run did not succeed. */
public enum Outcome {
    SUCCEEDED, FAILED, CANCELLED,
    /** The operation gave way to another ({@link WithdrawnException}): undone like a failure, never kept. */
    WITHDRAWN;

    public boolean succeeded() {
        return this == SUCCEEDED;
    }
}
