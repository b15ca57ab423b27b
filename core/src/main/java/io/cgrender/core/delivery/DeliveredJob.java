package io.cgrender.core.delivery;

import java.util.Map;

/**
 * What the storage holds of a delivered job, as its manifest says.
 *
 * @param location where its results are, e.g. {@code s3://bucket/alice/cube/j-…/}
 * @param exitCode the job's command's exit code
 * @param files    the delivered files by result name → their SHA-256
 * @param summary  one line for the user: how long it took, on what, at what estimated cost
 */
public record DeliveredJob(String location, int exitCode, Map<String, String> files, String summary) {

    public DeliveredJob {
        files = Map.copyOf(files);
    }
}
