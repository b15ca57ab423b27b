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
 */
public record JobStatus(Stage stage, Optional<Integer> exitCode, Optional<Instant> startedAt,
                        Optional<Instant> endedAt) {

    /** Job stages. {@link #LOST} is a job whose process is gone without having recorded an end (box rebooted). */
    public enum Stage {
        RUNNING, SUCCEEDED, FAILED, CANCELLED, LOST, UNKNOWN;

        public boolean ended() {
            return this != RUNNING;
        }

        public String word() {
            return name().toLowerCase();
        }
    }
}
