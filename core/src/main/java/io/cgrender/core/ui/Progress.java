package io.cgrender.core.ui;

import java.time.Duration;

/**
 * Progress of a wait. Implementations print a line naming the stage once a wait has lasted
 * {@link #QUIET_PERIOD}, then periodically, so short waits stay silent and long ones never look hung.
 */
public interface Progress {

    Duration QUIET_PERIOD = Duration.ofSeconds(2);

    /**
     * Reports that the wait for {@code stage} has lasted {@code elapsed} of {@code timeout}; {@code detail} is the
     * latest observation (e.g. "state pending"), or empty.
     */
    void waiting(String stage, Duration elapsed, Duration timeout, String detail);

    /** A one-off line, e.g. an apt step starting. */
    void step(String message);

    Progress NONE = new Progress() {
        @Override
        public void waiting(String stage, Duration elapsed, Duration timeout, String detail) {
        }

        @Override
        public void step(String message) {
        }
    };
}
