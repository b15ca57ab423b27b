package io.cgrender.core.job;

/**
 * A job to run detached on a box.
 *
 * @param id      the job id ({@link JobIds})
 * @param workdir where the command runs, relative to the box's home (inputs were synced there)
 * @param command a bash script, run with {@code bash}; its output goes to the job log
 * @param after   what the box does when the job ends
 */
public record JobSpec(String id, String workdir, String command, After after) {
}
