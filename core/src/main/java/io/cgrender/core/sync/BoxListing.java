package io.cgrender.core.sync;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a sync directory on a box holds, as {@link #FIND_PRINTF} lists it: every entry but directories and the
 * manifest, with its type, size and modification time. One listing per sync is what lets cgrender notice files
 * changed or deleted on the box behind its back without hashing them all.
 */
final class BoxListing {

    /** The {@code find -printf} format of a listing: type ({@code f} for a regular file), size, time, path. */
    static final String FIND_PRINTF = "%y %s %T@ %P\\n";

    /** One entry of the listing. */
    record File(char type, long size, BoxTime modified) {
        boolean regular() {
            return type == 'f';
        }
    }

    private BoxListing() {
    }

    /** Path → entry. Lines that do not parse (a name with a newline) are left out: such a file is never synced. */
    static Map<String, File> parse(String text) {
        Map<String, File> files = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(" ", 4);
            if (f.length == 4 && f[0].length() == 1 && !f[3].isEmpty()) {
                try {
                    files.put(f[3], new File(f[0].charAt(0), Long.parseLong(f[1]), BoxTime.parse(f[2])));
                } catch (IllegalArgumentException ignored) {
                    // not a listing line
                }
            }
        }
        return files;
    }
}
