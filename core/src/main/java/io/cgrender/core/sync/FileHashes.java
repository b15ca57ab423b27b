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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of files, each read once per process: the render cache key and the sync manifest need the same hashes.
 * A file whose size or modification time changed since it was hashed is read again, and so is one modified shortly
 * before it was hashed: a same-size edit within the file system's timestamp granularity (up to 2 s on some) would
 * leave both alike (git's "racily clean" files).
 * <p>
 * With a store directory ({@link #FileHashes(Path)}) the hashes also outlive the process ({@link HashStore}): the next
 * command reads a file again only if its size, modification time, change time or inode differ. {@link #flush()}
 * writes what this process learnt.
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
    private final Optional<HashStore> store;
    /** How many files were read, for tests. */
    private final java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();

    private final Clock clock;

    /** Hashes remembered for this process only. */
    public FileHashes() {
        this.store = Optional.empty();
        this.clock = Clock.systemUTC();
    }

    /** Hashes remembered for this process and, in {@code storeDir}, for the next ones. */
    public FileHashes(Path storeDir) {
        this(storeDir, Clock.systemUTC());
    }

    FileHashes(Path storeDir, Clock clock) {
        this.store = Optional.of(new HashStore(storeDir));
        this.clock = clock;
    }

    public Hash of(Path file) {
        try {
            Instant now = clock.instant();
            Path absolute = file.toAbsolutePath().normalize();
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            FileTime modified = attrs.lastModifiedTime();
            Seen known = seen.get(file);
            if (known != null && known.size == attrs.size() && known.modified.equals(modified)) {
                return known.hash;
            }
            Optional<HashStore.Stat> stat = store.isPresent() ? HashStore.Stat.of(absolute) : Optional.empty();
            Optional<Hash> stored = stat.flatMap(s -> store.get().get(absolute, s));
            Hash hash = stored.isPresent() ? stored.get() : read(file);
            if (stored.isEmpty()) {
                reads.incrementAndGet();
            }
            Instant settled = now.minus(RACY);
            if (modified.toInstant().isBefore(settled)) {
                seen.put(file, new Seen(attrs.size(), modified, hash));
                // the change time too: a file whose attributes changed just now is not trusted by later commands
                stat.filter(s -> s.changedNanos() < settled.getEpochSecond() * 1_000_000_000L + settled.getNano()
                        && stored.isEmpty()).ifPresent(s -> store.get().put(absolute, s, hash));
            } else {
                seen.remove(file);
            }
            return hash;
        } catch (IOException e) {
            throw new CgrenderException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** How many files this instance has read (for tests: a hash from memory or the store reads nothing). */
    int reads() {
        return reads.get();
    }

    /** Writes the hashes learnt to the store, if there is one; a failure there only costs a later command a read. */
    public void flush() {
        store.ifPresent(HashStore::flush);
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
