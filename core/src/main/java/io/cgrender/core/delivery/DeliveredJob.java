package io.cgrender.core.delivery;

import io.cgrender.core.job.JobStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the storage holds of a delivered job, as its manifest says.
 *
 * @param location      where its results are, e.g. {@code s3://bucket/alice/cube/j-…/}
 * @param exitCode      the job's command's exit code
 * @param files         the delivered files by result name → their SHA-256
 * @param summary       one line for the user: how long it took, on what, at what estimated cost
 * @param interruptedAt when the cloud reclaimed the job's box, if the box stopped the job for that (a spot instance's
 *                      interruption notice): only what had finished was delivered
 * @param ran           how long the job's command ran, where the manifest says
 */
public record DeliveredJob(String location, int exitCode, Map<String, String> files, String summary,
                           Optional<Instant> interruptedAt, Optional<Duration> ran) {

    public DeliveredJob {
        files = Map.copyOf(files);
    }

    public DeliveredJob(String location, int exitCode, Map<String, String> files, String summary,
                        Optional<Instant> interruptedAt) {
        this(location, exitCode, files, summary, interruptedAt, Optional.empty());
    }

    /** A job that ran to its end. */
    public DeliveredJob(String location, int exitCode, Map<String, String> files, String summary) {
        this(location, exitCode, files, summary, Optional.empty(), Optional.empty());
    }

    /** How the job ended: interrupted, else by its exit code. */
    public JobStatus.Stage stage() {
        if (interruptedAt.isPresent()) {
            return JobStatus.Stage.INTERRUPTED;
        }
        return exitCode == 0 ? JobStatus.Stage.SUCCEEDED : JobStatus.Stage.FAILED;
    }
}
