package io.cgrender.core.step;

import java.util.List;

/**
 * One step of a multi-step operation, with its own cleanup. The {@link StepRunner} pushes a step on its cleanup
 * stack <em>before</em> running it, so a step that fails half-way is still cleaned up: cleanup must therefore
 * look at what the step recorded in the context (e.g. an instance id) and do nothing if nothing was created.
 *
 * @param <C> the typed context the steps of one operation share
 */
public interface Step<C> {

    /** A short name for progress output and errors, e.g. {@code launch}. */
    String name();

    void run(C context) throws Exception;

    /**
     * Undoes or closes what {@link #run} created, as far as {@code outcome} calls for. Runs in reverse order of
     * the steps, on success, failure and cancellation alike. Must be idempotent.
     */
    default void cleanup(C context, Outcome outcome) throws Exception {
    }

    /**
     * What would remain if this step's cleanup did not run after a failure (e.g. {@code "box l-3f2a9c"}); printed
     * with {@code --keep-on-error} and when cleanup fails. Empty when the step created nothing lasting.
     */
    default List<String> leftovers(C context) {
        return List.of();
    }
}
