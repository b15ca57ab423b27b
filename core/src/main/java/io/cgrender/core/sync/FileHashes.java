package io.cgrender.core.sync;

import io.cgrender.core.CgrenderException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of files, each read once per process: the render cache key and the sync manifest need the same hashes.
 * A file whose size or modification time changed since it was hashed is read again, and so is one modified shortly
 * before it was hashed: a same-size edit within the file system's timestamp granularity (up to 2 s on some) would
 * leave both alike (git's "racily clean" files).
 */
public final class FileHashes {

    /** Modification times this close to the hashing are not trusted to tell a later edit apart. */
    private static final Duration RACY = Duration.ofSeconds(2);

    /** A file's content hash and size. */
    public record Hash(String sha256, long size) {
    }

    private record Seen(long size, FileTime modified, Hash hash) {
    }

    private final Map<Path, Seen> seen = new ConcurrentHashMap<>();

    public Hash of(Path file) {
        try {
            Instant now = Instant.now();
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            FileTime modified = attrs.lastModifiedTime();
            Seen known = seen.get(file);
            if (known != null && known.size == attrs.size() && known.modified.equals(modified)) {
                return known.hash;
            }
            Hash hash = read(file);
            if (modified.toInstant().isBefore(now.minus(RACY))) {
                seen.put(file, new Seen(attrs.size(), modified, hash));
            } else {
                seen.remove(file);
            }
            return hash;
        } catch (IOException e) {
            throw new CgrenderException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Hash read(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            long size = in.transferTo(OutputStream.nullOutputStream());
            return new Hash(HexFormat.of().formatHex(digest.digest()), size);
        }
    }

    /** SHA-256 of {@code text} (UTF-8), in hex: for keys derived from names. */
    public static String sha256Hex(String text) {
        return HexFormat.of().formatHex(sha256digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** SHA-256 of {@code bytes}. */
    public static byte[] sha256digest(byte[] bytes) {
        return sha256().digest(bytes);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }
}
