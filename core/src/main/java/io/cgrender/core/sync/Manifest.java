package io.cgrender.core.sync;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The content-hash manifest a box keeps of a sync directory, beside it ({@code <dir>.manifest}, so that the directory
 * holds exactly the synced files and a copy of it needs no cleaning): an append-only list of lines
 * {@code <sha256> <size> <mtime> <path>} (and {@code - <path>} for removals) below a header line, the last line for a
 * path winning. The modification time is the file's on the box when its hash was taken (seconds since the epoch,
 * with a fraction where the box reported one): a file whose size or time differs has changed since, and its hash is
 * taken again. Manifests written before the times were kept have no header; their entries have no time and so are
 * always checked (older versions kept it inside the directory, as {@code .cgrender-manifest}: such a file is removed
 * like any other that does not belong).
 */
final class Manifest {

    /** The manifest of {@code dir}, relative to the box's home or absolute as {@code dir} is. */
    static String of(String dir) {
        return dir + ".manifest";
    }
    static final String HEADER = "# cgrender sync manifest 2";

    /** What the manifest says of a file. An entry without a time is never trusted without hashing the file. */
    record Entry(String sha256, long size, Optional<BoxTime> modified) {

        String line(String path) {
            return sha256 + " " + size + " " + modified.map(BoxTime::toString).orElse("0") + " " + path + "\n";
        }

        /** Whether {@code listed}, as the box lists the file now, is what this entry was taken of. */
        boolean describes(BoxListing.File listed) {
            return listed.regular() && listed.size() == size
                    && modified.map(listed.modified()::equals).orElse(false);
        }
    }

    private final Map<String, Entry> entries;
    private final boolean current;
    private final long lines;

    private Manifest(Map<String, Entry> entries, boolean current, long lines) {
        this.entries = entries;
        this.current = current;
        this.lines = lines;
    }

    static Manifest parse(String text) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        boolean current = text.startsWith(HEADER + "\n");
        long lines = 0;
        for (String line : text.split("\n")) {
            lines++;
            if (line.startsWith("- ")) {
                entries.remove(line.substring(2));
                continue;
            }
            String[] f = line.split(" ", current ? 4 : 3);
            if (f.length < 3 || f[0].length() != 64) {
                continue;
            }
            try {
                if (current && f.length == 4) {
                    BoxTime modified = BoxTime.parse(f[2]);
                    entries.put(f[3], new Entry(f[0], Long.parseLong(f[1]),
                            modified.known() ? Optional.of(modified) : Optional.empty()));
                } else if (!current) {
                    entries.put(f[2], new Entry(f[0], Long.parseLong(f[1]), Optional.empty()));
                }
            } catch (IllegalArgumentException ignored) {
                // a torn line from an interrupted append: the file is checked again
            }
        }
        return new Manifest(entries, current, text.isEmpty() ? 0 : lines);
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** Whether it is in this format (with times); an older one is rewritten whole. */
    boolean current() {
        return current;
    }

    long lines() {
        return lines;
    }

    /** A whole manifest of {@code entries}. */
    static String render(Map<String, Entry> entries) {
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        entries.forEach((path, e) -> out.append(e.line(path)));
        return out.toString();
    }
}
