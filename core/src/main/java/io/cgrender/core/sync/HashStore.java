package io.cgrender.core.sync;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * File hashes that outlive the process, so that an unchanged project is not read again by the next command: one
 * small file per directory of hashed files, under the store's directory, holding each file's hash with what it was
 * hashed as — size, modification time, status change time and inode. An entry counts only while all four are the
 * same: an edit that keeps the size and puts the modification time back still changes the change time (which no
 * user can set), and a file replaced by another (a rename, a checkout) has another inode.
 * <p>
 * A store file is only a cache: one that cannot be read, or was written by another version, is ignored; writes go to a
 * temporary file renamed into place, so concurrent commands never see half a file (the last one to write wins, and
 * every entry it wrote is true of the files it saw). Entries of files that are gone are dropped when the directory's
 * store file is written again.
 */
final class HashStore {

    private static final String HEADER = "cgrender-hashes 1";

    /** What a file was when it was hashed, and its hash. */
    record Entry(long size, long modifiedNanos, long changedNanos, String fileKey, FileHashes.Hash hash) {
    }

    /** The attributes an entry is checked against; empty where the file system cannot give them all. */
    record Stat(long size, long modifiedNanos, long changedNanos, String fileKey) {

        static Optional<Stat> of(Path file) throws IOException {
            try {
                Map<String, Object> a = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino,dev");
                return Optional.of(new Stat((Long) a.get("size"), nanos(a.get("lastModifiedTime")),
                        nanos(a.get("ctime")), a.get("dev") + ":" + a.get("ino")));
            } catch (UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
                return Optional.empty();
            }
        }

        private static long nanos(Object time) {
            return ((FileTime) time).to(TimeUnit.NANOSECONDS);
        }

        boolean matches(Entry e) {
            return e.size == size && e.modifiedNanos == modifiedNanos && e.changedNanos == changedNanos
                    && e.fileKey.equals(fileKey);
        }
    }

    private final Path dir;
    /** The entries of each directory read or written so far, by file name. */
    private final Map<Path, Map<String, Entry>> byDirectory = new HashMap<>();
    private final Set<Path> changed = new HashSet<>();

    HashStore(Path dir) {
        this.dir = dir;
    }

    /** The stored hash of {@code file} if it is still what it was when hashed ({@code now} its attributes). */
    synchronized Optional<FileHashes.Hash> get(Path file, Stat now) {
        Entry e = entries(file.getParent()).get(file.getFileName().toString());
        return e != null && now.matches(e) ? Optional.of(e.hash()) : Optional.empty();
    }

    synchronized void put(Path file, Stat stat, FileHashes.Hash hash) {
        String name = file.getFileName().toString();
        if (storable(name) && storable(file.getParent().toString())) {
            entries(file.getParent()).put(name, new Entry(stat.size(), stat.modifiedNanos(), stat.changedNanos(),
                    stat.fileKey(), hash));
            changed.add(file.getParent());
        }
    }

    /** Writes the store files of the directories with new entries; a failure only costs the next command a read. */
    synchronized void flush() {
        for (Path directory : changed) {
            try {
                write(directory, entries(directory));
            } catch (IOException | RuntimeException e) {
                // a cache: the next command hashes these files again
            }
        }
        changed.clear();
    }

    private Map<String, Entry> entries(Path directory) {
        return byDirectory.computeIfAbsent(directory, this::read);
    }

    private Path storeFile(Path directory) {
        return dir.resolve(FileHashes.sha256Hex(directory.toString()).substring(0, 32) + ".tsv");
    }

    private Map<String, Entry> read(Path directory) {
        Map<String, Entry> entries = new HashMap<>();
        try {
            List<String> lines = Files.readAllLines(storeFile(directory), StandardCharsets.UTF_8);
            if (lines.size() < 2 || !lines.get(0).equals(HEADER) || !lines.get(1).equals(directory.toString())) {
                return entries;
            }
            for (String line : lines.subList(2, lines.size())) {
                String[] f = line.split("\t", -1);
                if (f.length == 7) {
                    entries.put(f[0], new Entry(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                            f[4], new FileHashes.Hash(f[5], Long.parseLong(f[6]))));
                }
            }
        } catch (IOException | RuntimeException e) {
            entries.clear(); // none yet, or not one of ours: hashed afresh
        }
        return entries;
    }

    private void write(Path directory, Map<String, Entry> entries) throws IOException {
        List<String> lines = new ArrayList<>(List.of(HEADER, directory.toString()));
        entries.entrySet().removeIf(e -> !Files.isRegularFile(directory.resolve(e.getKey()), LinkOption.NOFOLLOW_LINKS));
        entries.forEach((name, e) -> lines.add(String.join("\t", name, Long.toString(e.size()),
                Long.toString(e.modifiedNanos()), Long.toString(e.changedNanos()), e.fileKey(), e.hash().sha256(),
                Long.toString(e.hash().size()))));
        // the names and hashes of the user's files are the user's alone
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path target = storeFile(directory);
        Path tmp = Files.createTempFile(dir, ".hashes-", ".tmp");
        try {
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Tabs and line breaks would break the format: such names are hashed every time instead. */
    private static boolean storable(String text) {
        return text.indexOf('\t') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0;
    }
}
