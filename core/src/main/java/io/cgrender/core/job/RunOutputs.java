package io.cgrender.core.job;

import java.nio.file.Path;

/**
 * What a {@code run} job brings back when it ends, and where to.
 *
 * @param globs       the files, relative to the job's work directory on the box
 * @param dir         the local directory they are written below, with their paths relative to the work directory
 * @param intoWorkdir whether {@code dir} is the synced work directory itself: then a local file is replaced only if
 *                    it is still what the job started from (see {@link JobOutputs})
 */
public record RunOutputs(OutputGlobs globs, Path dir, boolean intoWorkdir) {
}
