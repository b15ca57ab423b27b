package io.cgrender.core.job;

import java.util.Optional;

/**
 * A job to run detached on a box.
 *
 * @param id      the job id ({@link JobIds})
 * @param workdir where the command runs, relative to the box's home (inputs were synced there); a job whose work
 *                directory is missing fails saying so, unless it has {@code outputs}
 * @param command a bash script, run with {@code bash} as {@code command.sh} of the job's directory; its output goes to
 *                the job log
 * @param after   what the box does when the job ends
 * @param outputs the files of {@code workdir} the job keeps for the client when it ends ({@code run --outputs}); the
 *                job's work directory is made if missing
 */
public record JobSpec(String id, String workdir, String command, After after, Optional<OutputGlobs> outputs) {

    public JobSpec(String id, String workdir, String command, After after) {
        this(id, workdir, command, after, Optional.empty());
    }
}
