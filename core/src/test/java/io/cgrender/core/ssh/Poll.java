package io.cgrender.core.ssh;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for conditions no event announces (a remote process ending, a file appearing). */
final class Poll {

    private Poll() {
    }

    /** Whether {@code condition} became true within {@code timeout}, checked every 20 ms. */
    static boolean until(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        boolean met = io.cgrender.testkit.Poll.until(timeout, condition);
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted while polling");
        }
        return met;
    }

    /** {@code value} quoted for a POSIX shell. */
    static String sh(Object value) {
        return "'" + value.toString().replace("'", "'\\''") + "'";
    }
}
