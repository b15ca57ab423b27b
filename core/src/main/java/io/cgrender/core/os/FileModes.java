package io.cgrender.core.os;

import java.util.EnumSet;
import java.util.Set;

/** Unix file modes (the 9 permission bits, as in {@code 0644}) and Java's permission sets, either way. */
public final class FileModes {

    private FileModes() {
    }

    /** The permissions of {@code mode}'s low 9 bits. */
    public static Set<java.nio.file.attribute.PosixFilePermission> permissions(int mode) {
        Set<java.nio.file.attribute.PosixFilePermission> result =
                EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
        for (java.nio.file.attribute.PosixFilePermission p : java.nio.file.attribute.PosixFilePermission.values()) {
            if ((mode & bit(p)) != 0) {
                result.add(p);
            }
        }
        return result;
    }

    /** The mode bits of {@code permissions}. */
    public static int mode(Set<java.nio.file.attribute.PosixFilePermission> permissions) {
        int mode = 0;
        for (java.nio.file.attribute.PosixFilePermission p : permissions) {
            mode |= bit(p);
        }
        return mode;
    }

    /**
     * The permissions a file downloaded from a box gets here: its mode there less the group's and others' write, as
     * {@code sftp(1)} without {@code -p} under the usual umask 022 gives.
     */
    public static Set<java.nio.file.attribute.PosixFilePermission> downloaded(int boxMode) {
        return permissions(boxMode & ~0022);
    }

    private static int bit(java.nio.file.attribute.PosixFilePermission p) {
        return 1 << (8 - p.ordinal()); // OWNER_READ is the first, OTHERS_EXECUTE the last
    }
}
