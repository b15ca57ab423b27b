package io.cgrender.core.sync;

import io.cgrender.core.UsageException;
import io.cgrender.core.ui.Visible;

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

    /**
     * The user's file {@code local}, to be {@code remote} on the box. A name with a line break, which the box's
     * one-file-a-line listings cannot hold, is bad input: refused naming the file, escaped so the break shows.
     */
    public static SyncFile of(Path local, String remote) {
        if (remote.contains("\n")) {
            throw new UsageException("cannot upload " + Visible.quoted(local.toString()) + ": its name has a line"
                    + " break, which cgrender cannot send to a box; rename it");
        }
        return new SyncFile(local, remote);
    }
}
