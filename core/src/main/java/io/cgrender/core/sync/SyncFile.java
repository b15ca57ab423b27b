package io.cgrender.core.sync;

import java.nio.file.Path;

/**
 * One file to mirror on a box.
 *
 * @param local  the file here
 * @param remote its path on the box, relative to the sync directory, with '/' separators and no '..'
 */
public record SyncFile(Path local, String remote) {

    public SyncFile {
        if (remote.isEmpty() || remote.startsWith("/") || remote.contains("\\") || remote.contains("\n")
                || ("/" + remote + "/").contains("/../") || ("/" + remote + "/").contains("/./")) {
            throw new IllegalArgumentException("not a safe relative remote path: " + remote);
        }
    }
}
