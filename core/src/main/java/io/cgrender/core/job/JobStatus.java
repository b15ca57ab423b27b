package io.cgrender.core.job;

import java.time.Instant;
import java.util.Optional;

/**
 * A job's state as the box records it.
 *
 * @param stage     where the job is
 * @param exitCode  the command's exit code once it ended
 * @param startedAt when the command started
 * @param endedAt   when it ended
 * @param detail    what the job said about its end beyond the exit code, e.g. that its results could not be
 *                  uploaded and were kept on the box
 */
public record JobStatus(Stage stage, Optional<Integer> exitCode, Optional<Instant> startedAt,
                        Optional<Instant> endedAt, Optional<String> detail) {

    public JobStatus(Stage stage, Optional<Integer> exitCode, Optional<Instant> startedAt, Optional<Instant> endedAt) {
        this(stage, exitCode, startedAt, endedAt, Optional.empty());
    }

    /**
     * Job stages. {@link #LOST} is a job whose process is gone without having recorded an end (box rebooted);
     * {@link #INTERRUPTED} one its box stopped because the box itself was going away (EC2 reclaiming a spot
     * instance), after keeping what had finished.
     */
    public enum Stage {
        RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED, LOST, UNKNOWN;

        public boolean ended() {
            return this != RUNNING;
        }

        public String word() {
            return name().toLowerCase();
        }
    }
}
