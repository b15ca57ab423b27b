package io.cgrender.core.sync;

import java.util.List;

/**
 * What a {@link FileSync} did.
 *
 * @param filesSent      files uploaded because they were new or changed
 * @param bytesSent      bytes sent for them, including the manifest update
 * @param filesUnchanged files already on the box with the same content
 * @param filesRemoved   files removed from the box because they are no longer part of the set
 * @param sent           the remote paths of the files uploaded, in the order they were sent
 */
public record SyncResult(int filesSent, long bytesSent, int filesUnchanged, int filesRemoved, List<String> sent) {

    public SyncResult {
        sent = List.copyOf(sent);
    }

    /** A result that sent nothing by name (e.g. in a test's expectation). */
    public SyncResult(int filesSent, long bytesSent, int filesUnchanged, int filesRemoved) {
        this(filesSent, bytesSent, filesUnchanged, filesRemoved, List.of());
    }

    /**
     * The local files of {@code files} that were sent, for {@code -v}: as paths relative to {@code cwd} where they lie
     * below it (as the user gave them), else absolute.
     */
    public List<String> sentFiles(List<SyncFile> files, java.nio.file.Path cwd) {
        java.util.Map<String, java.nio.file.Path> byRemote = new java.util.HashMap<>();
        files.forEach(f -> byRemote.put(f.remote(), f.local()));
        return sent.stream().map(remote -> byRemote.containsKey(remote)
                ? io.cgrender.core.ui.ShownPath.of(byRemote.get(remote), cwd) : remote).toList();
    }

    /** For {@code -v}: e.g. "1 file(s), 7097 bytes sent; 299 unchanged; 0 removed". */
    public String describe() {
        return filesSent + " file(s), " + bytesSent + " bytes sent; " + filesUnchanged + " unchanged; " + filesRemoved
                + " removed";
    }
}
