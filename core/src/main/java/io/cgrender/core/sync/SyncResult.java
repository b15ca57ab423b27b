package io.cgrender.core.sync;

/**
 * What a {@link FileSync} did.
 *
 * @param filesSent      files uploaded because they were new or changed
 * @param bytesSent      bytes sent for them, including the manifest update
 * @param filesUnchanged files already on the box with the same content
 * @param filesRemoved   files removed from the box because they are no longer part of the set
 */
public record SyncResult(int filesSent, long bytesSent, int filesUnchanged, int filesRemoved) {
}
