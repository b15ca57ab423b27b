package io.cgrender.core.step;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.CleanupIncompleteException;
import io.cgrender.core.ui.Console;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs steps with a LIFO cleanup stack, in the manner of Packer's multistep runner:
 * <ul>
 *   <li>each step is pushed before it runs, and every pushed step's cleanup runs in reverse order when the
 *       operation ends — on success, on failure, and on Ctrl-C (a hook on the console's interrupts cancels the run
 *       and waits for the unwinding);</li>
 *   <li>a cleanup that throws does not stop the others: its error is added as suppressed to the primary failure,
 *       and the operation ends with {@link CleanupIncompleteException} naming what was left behind;</li>
 *   <li>with keep-on-error, a failed operation runs no cleanup and reports everything it kept.</li>
 * </ul>
 * An operation may run several step lists (e.g. {@code create --count 3}); all of them unwind together.
 */
public final class StepRunner {

    /** How long Ctrl-C waits for the unwinding before the JVM is allowed to exit anyway. */
    static final long CANCEL_GRACE_SECONDS = 600;

    private final Console console;
    private final boolean keepOnError;
    private final Deque<Pushed<?>> stack = new ArrayDeque<>();
    private final CountDownLatch unwound = new CountDownLatch(1);
    private volatile boolean cancelled;
    private volatile Thread worker;

    public StepRunner(Console console, boolean keepOnError) {
        this.console = console;
        this.keepOnError = keepOnError;
    }

    /** The body of an operation: it calls {@link #run} for each list of steps. */
    @FunctionalInterface
    public interface Body<R> {
        R execute(StepRunner runner) throws Exception;
    }

    /**
     * Executes {@code body} as one operation and unwinds every pushed step when it ends. Adds a hook to the
     * console's interrupts for the duration, so Ctrl-C unwinds too.
     */
    public <R> R execute(Body<R> body) {
        worker = Thread.currentThread();
        Thread hook = new Thread(this::cancelAndAwaitUnwinding, "cgrender-cleanup-on-exit");
        console.interrupts().add(hook);
        try {
            R result;
            try {
                result = body.execute(this);
            } catch (Throwable failure) {
                throw unwindAfterFailure(failure);
            }
            unwindAfterSuccess();
            return result;
        } finally {
            unwound.countDown();
            try {
                console.interrupts().remove(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running (Ctrl-C) and waits for 'unwound', counted down above.
            }
        }
    }

    /** Runs {@code steps} in order against {@code context}, pushing each on the cleanup stack before it runs. */
    public <C> void run(C context, List<? extends Step<C>> steps) throws Exception {
        for (Step<C> step : steps) {
            if (cancelled) {
                throw new CancelledException("cancelled before step '" + step.name() + "'");
            }
            synchronized (stack) {
                stack.push(new Pushed<>(step, context));
            }
            console.verbose("step: " + step.name());
            try {
                step.run(context);
            } catch (Exception e) {
                if (cancelled) {
                    throw new CancelledException("cancelled during step '" + step.name() + "'", e);
                }
                throw e;
            }
        }
    }

    /** Cancels a running operation, as Ctrl-C does: the current step is interrupted and everything unwinds. */
    public void cancel() {
        cancelled = true;
        Thread t = worker;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
    }

    public boolean isCancelled() {
        return cancelled;
    }

    private void cancelAndAwaitUnwinding() {
        console.status("interrupted: cleaning up (interrupt again to abandon cleanup)");
        cancel();
        try {
            if (!unwound.await(CANCEL_GRACE_SECONDS, TimeUnit.SECONDS)) {
                console.status("cleanup did not finish within " + CANCEL_GRACE_SECONDS + "s; exiting anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void unwindAfterSuccess() {
        List<Throwable> errors = new ArrayList<>();
        List<String> left = new ArrayList<>();
        unwind(Outcome.SUCCEEDED, errors, left);
        if (!errors.isEmpty()) {
            CleanupIncompleteException e = new CleanupIncompleteException(
                    "the operation succeeded but cleanup failed: " + describe(errors), null, left);
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    private RuntimeException unwindAfterFailure(Throwable failure) {
        Outcome outcome = cancelled ? Outcome.CANCELLED
                : failure instanceof WithdrawnException ? Outcome.WITHDRAWN : Outcome.FAILED;
        Thread.interrupted(); // cleanup must be able to wait, even after Ctrl-C interrupted the step
        if (keepOnError && outcome == Outcome.FAILED) {
            List<String> kept = allLeftovers();
            if (!kept.isEmpty()) {
                return new CleanupIncompleteException(message(failure) + "; kept on error: "
                        + String.join(", ", kept), failure, kept);
            }
            return asCgrender(failure);
        }
        List<Throwable> errors = new ArrayList<>();
        List<String> left = new ArrayList<>();
        unwind(outcome, errors, left);
        if (errors.isEmpty()) {
            return asCgrender(failure);
        }
        CleanupIncompleteException e = new CleanupIncompleteException(message(failure) + "; cleanup failed too: "
                + describe(errors) + (left.isEmpty() ? "" : "; left behind: " + String.join(", ", left)),
                failure, left);
        errors.forEach(e::addSuppressed);
        return e;
    }

    /** Pops and cleans every step, LIFO; records errors and what failed cleanups left behind. */
    private void unwind(Outcome outcome, List<Throwable> errors, List<String> left) {
        while (true) {
            Pushed<?> pushed;
            synchronized (stack) {
                pushed = stack.poll();
            }
            if (pushed == null) {
                return;
            }
            try {
                pushed.cleanup(outcome);
            } catch (Throwable e) {
                errors.add(new CgrenderException("cleanup of step '" + pushed.step.name() + "' failed: "
                        + message(e), e));
                left.addAll(pushed.leftovers());
            }
        }
    }

    private List<String> allLeftovers() {
        List<String> kept = new ArrayList<>();
        synchronized (stack) {
            for (Pushed<?> pushed : stack) {
                kept.addAll(pushed.leftovers());
            }
            stack.clear();
        }
        return kept;
    }

    private RuntimeException asCgrender(Throwable failure) {
        if (failure instanceof CgrenderException e) {
            return e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new CgrenderException(message(failure), failure);
    }

    private static String describe(List<Throwable> errors) {
        List<String> parts = new ArrayList<>();
        for (Throwable t : errors) {
            parts.add(message(t));
        }
        return String.join("; ", parts);
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private record Pushed<C>(Step<C> step, C context) {
        void cleanup(Outcome outcome) throws Exception {
            step.cleanup(context, outcome);
        }

        List<String> leftovers() {
            return step.leftovers(context);
        }
    }
}
