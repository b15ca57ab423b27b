package io.cgrender.core.delivery;

import java.util.List;
import java.util.Map;

/**
 * One job whose box delivers its results, as the client describes it to {@link ResultDelivery#prepare}.
 *
 * @param jobId       the job id
 * @param jobDir      the job's directory on the box, relative to its home (its log is {@code <jobDir>/log})
 * @param name        what the results are of, one path component (e.g. the model's name {@code cube}): results go to
 *                    {@code <location>/<namespace>/<name>/<job id>/}
 * @param title       a short description for messages and mail, e.g. {@code tiny/cube.scad}
 * @param command     the job's own script; the delivery runs after it with its exit code
 * @param files       the files to deliver when the command that makes each succeeded
 * @param cache       the cache entries to file once their files are delivered
 * @param workingDirs directories on the box (relative to its home) to remove once everything is delivered
 * @param manifest    what the client knows of the job for its manifest (inputs and their hashes, parameters, …),
 *                    as JSON-able maps and lists; the box adds times, exit code, outputs and cost
 */
public record DeliveryJob(String jobId, String jobDir, String name, String title, String command, List<File> files,
                          List<CacheEntry> cache, List<String> workingDirs, Map<String, Object> manifest) {

    public DeliveryJob {
        files = List.copyOf(files);
        cache = List.copyOf(cache);
        workingDirs = List.copyOf(workingDirs);
        manifest = Map.copyOf(manifest);
    }

    /**
     * A file to deliver.
     *
     * @param name     its name among the job's results, e.g. {@code cube.stl}
     * @param remote   its path on the box, relative to the home
     * @param exitFile a file on the box (relative to the home) holding the exit code of the command that makes it:
     *                 it is delivered only when that is 0
     */
    public record File(String name, String remote, String exitFile) {
    }

    /**
     * A render-cache entry, filed once its files are delivered.
     *
     * @param key      the cache key
     * @param names    the entry's file names ({@code output}, {@code preview.png}) → result names
     * @param exitFile as {@link File#exitFile}
     */
    public record CacheEntry(String key, Map<String, String> names, String exitFile) {
        public CacheEntry {
            names = Map.copyOf(names);
        }
    }
}
