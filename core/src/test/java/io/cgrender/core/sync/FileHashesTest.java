package io.cgrender.core.sync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class FileHashesTest {

    private static final String SHA256_OF_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @TempDir
    Path tmp;

    @Test
    void hashesTheContent() throws IOException {
        Path file = Files.writeString(tmp.resolve("abc.txt"), "abc");

        assertEquals(new FileHashes.Hash(SHA256_OF_ABC, 3), new FileHashes().of(file));
    }

    @Test
    void aFileChangedInSizeOrTimeIsReadAgain() throws IOException {
        FileHashes hashes = new FileHashes();
        Path file = Files.writeString(tmp.resolve("f.txt"), "abc");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        hashes.of(file);

        Files.writeString(file, "abcd");
        assertEquals(4, hashes.of(file).size());
        Files.writeString(file, "abc");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofMinutes(30))));
        assertEquals(SHA256_OF_ABC, hashes.of(file).sha256());
    }

    /** What makes repeated hashing cheap: a file that has not changed since long before it was hashed is read once. */
    @Test
    void anOldUnchangedFileIsReadOnce() throws IOException {
        FileHashes hashes = new FileHashes();
        Path file = Files.writeString(tmp.resolve("f.txt"), "abc");
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        Files.setLastModifiedTime(file, old);
        FileHashes.Hash first = hashes.of(file);

        // Only a stat-based cache could miss this edit (same size, time put back): proof that it is not read again.
        Files.writeString(file, "xyz");
        Files.setLastModifiedTime(file, old);

        assertEquals(first, hashes.of(file));
    }

    /**
     * Two same-size writes within the file system's timestamp granularity (a second or two on some) leave size and
     * modification time alike; a hash taken in between must not be trusted afterwards.
     */
    @Test
    void aSameSizeEditWithinTheTimestampGranularityIsSeen() throws IOException {
        FileHashes hashes = new FileHashes();
        Path file = Files.writeString(tmp.resolve("f.txt"), "xyz");
        FileTime written = Files.getLastModifiedTime(file);
        FileHashes.Hash before = hashes.of(file);

        Files.writeString(file, "abc");
        Files.setLastModifiedTime(file, written);

        assertNotEquals(before, hashes.of(file));
        assertEquals(SHA256_OF_ABC, hashes.of(file).sha256());
    }

    // ---------------------------------------------------------------- hashes that outlive the process

    private Path old(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        return file;
    }

    /**
     * A command that runs a few seconds later: the change time must be settled too before a hash is stored (it moves
     * with every write, chmod and rename, and cannot be set back).
     */
    private static FileHashes later(Path store) {
        return new FileHashes(store, java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofSeconds(3)));
    }

    @Test
    void theNextProcessReadsAnUnchangedFileNoMore() throws Exception {
        Path store = tmp.resolve("store");
        Path file = old(Files.writeString(tmp.resolve("model.scad"), "cube(1);"));
        FileHashes first = later(store);
        FileHashes.Hash hash = first.of(file);
        first.flush();
        assertEquals(1, first.reads());

        FileHashes next = later(store);
        assertEquals(hash, next.of(file));
        assertEquals(0, next.reads(), "the hash came from the store");
    }

    @Test
    void anEditThatPutsTheSizeAndTimeBackOrAFileReplacedByAnotherIsReadAgain() throws Exception {
        Path store = tmp.resolve("store");
        Path file = old(Files.writeString(tmp.resolve("part.scad"), "abc"));
        FileTime modified = Files.getLastModifiedTime(file);
        FileHashes first = later(store);
        first.of(file);
        first.flush();

        // same size, modification time put back: only the change time tells
        Files.writeString(file, "xyz");
        Files.setLastModifiedTime(file, modified);
        FileHashes second = later(store);
        assertNotEquals(SHA256_OF_ABC, second.of(file).sha256());
        assertEquals(1, second.reads());

        // another file with the same size and times renamed over it: another inode
        Path other = Files.writeString(tmp.resolve("other.scad"), "abc");
        Files.setLastModifiedTime(other, modified);
        Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FileHashes third = later(store);
        assertEquals(SHA256_OF_ABC, third.of(file).sha256());
        assertEquals(1, third.reads());
    }

    @Test
    void aFreshlyChangedFileIsNotStoredAndABrokenStoreFileIsIgnored() throws Exception {
        Path store = tmp.resolve("store");
        Path file = old(Files.writeString(tmp.resolve("fresh.scad"), "abc"));
        // its change time is now: not stored, whatever its modification time says
        FileHashes first = new FileHashes(store);
        first.of(file);
        first.flush();
        FileHashes second = later(store);
        second.of(file);
        assertEquals(1, second.reads(), "nothing was stored");
        second.flush();
        assertEquals(0, countReads(later(store), file), "stored by the later command");

        try (var files = Files.list(store)) {
            for (Path f : files.toList()) {
                Files.writeString(f, "cgrender-hashes 1\nnot the directory\ngarbage\n");
            }
        }
        FileHashes third = later(store);
        assertEquals(SHA256_OF_ABC, third.of(file).sha256());
        assertEquals(1, third.reads(), "a store file that is not the directory's is ignored");
    }

    private static int countReads(FileHashes hashes, Path file) {
        hashes.of(file);
        return hashes.reads();
    }
}
