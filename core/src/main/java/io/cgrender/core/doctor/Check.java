package io.cgrender.core.doctor;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * One thing {@code cgrender doctor} checks: a name and a way to find out. A check changes nothing, launches nothing
 * and costs nothing; it may fail by throwing (a {@link io.cgrender.core.CgrenderException} becomes a failure with its
 * message and fix), and {@link Checkup} gives it at most {@link #timeout()}.
 */
public interface Check {

    /** How long a check may take unless it says otherwise. */
    Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    /** A short name, e.g. {@code results bucket}. */
    String name();

    CheckResult run();

    default Duration timeout() {
        return DEFAULT_TIMEOUT;
    }

    static Check of(String name, Supplier<CheckResult> run) {
        return new Check() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public CheckResult run() {
                return run.get();
            }
        };
    }
}
