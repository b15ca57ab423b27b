package io.cgrender.core.cloud;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounded polling for tests: waits until a condition holds, failing with a description of what was last seen when
 * the deadline passes. For conditions no event announces (a process exiting on its own, a file disappearing);
 * never a fixed sleep.
 */
public final class Eventually {

    private static final Duration POLL = Duration.ofMillis(50);

    private Eventually() {
    }

    /** Waits until {@code condition} holds, at most {@code timeout}. */
    public static void await(Duration timeout, String what, BooleanSupplier condition) {
        value(timeout, what, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /** Waits until {@code probe} yields a value, at most {@code timeout}, and returns it. */
    public static <T> T value(Duration timeout, String what, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                return fail("not within " + timeout.toMillis() + " ms: " + what);
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail("interrupted while waiting: " + what);
            }
        }
    }

    /**
     * Checks that {@code condition} keeps holding for the whole of {@code period} (e.g. "the box is still running
     * while a job runs"), failing as soon as it does not.
     */
    public static void holdsFor(Duration period, String what, BooleanSupplier condition) {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() - end < 0) {
            if (!condition.getAsBoolean()) {
                fail("stopped holding before " + period.toMillis() + " ms had passed: " + what);
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while watching: " + what);
            }
        }
    }
}
