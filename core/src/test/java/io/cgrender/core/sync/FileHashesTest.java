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
}
