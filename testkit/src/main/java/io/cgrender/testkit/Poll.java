package io.cgrender.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for conditions no event announces (a remote process ending, a resource becoming known). */
public final class Poll {

    private static final Duration EVERY = Duration.ofMillis(20);

    private Poll() {
    }

    /** Whether {@code condition} became true within {@code timeout}, checked every 20 ms. */
    public static boolean until(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(EVERY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
