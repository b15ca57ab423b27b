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

    /** For {@code -v}: e.g. "1 file(s), 7097 bytes sent; 299 unchanged; 0 removed". */
    public String describe() {
        return filesSent + " file(s), " + bytesSent + " bytes sent; " + filesUnchanged + " unchanged; " + filesRemoved
                + " removed";
    }
}
