package io.cgrender.local.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * Reads and writes a box's state file ({@code box.properties}).
 * <p>
 * Concurrency: the cloud (any number of CLI processes) and the box host both change the file. Every change is a
 * read-modify-write under an exclusive lock on {@code box.lock} — an fcntl lock across processes, plus a
 * {@link ReentrantLock} per file inside one JVM, where fcntl locks do not exclude each other. Every write
 * replaces the file by atomic rename, so readers never lock and never see half a file.
 */
public final class StateFile {

    private static final String COMMENT = "cgrender local box; changed only under box.lock";
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private StateFile() {
    }

    /** Writes the first state of a new box and creates its lock file. */
    public static void create(BoxDir dir, BoxState state) throws IOException {
        Files.createFile(dir.lockFile());
        PropertiesFile.write(dir.stateFile(), state.toProperties(), COMMENT);
    }

    /** The state, or empty if the box directory or its state file does not exist. */
    public static Optional<BoxState> read(BoxDir dir) {
        Optional<Map<String, String>> entries;
        try {
            entries = PropertiesFile.read(dir.stateFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.stateFile() + ": " + e.getMessage(), e);
        }
        try {
            return entries.map(BoxState::fromProperties);
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("corrupt state file " + dir.stateFile() + ": "
                    + e.getMessage(), e));
        }
    }

    /**
     * Applies {@code change} to the current state under the lock and writes the result, unless {@code change}
     * returned its argument itself.
     *
     * @return the state after the change, or empty if the box no longer exists (nothing is written then)
     */
    public static Optional<BoxState> update(BoxDir dir, UnaryOperator<BoxState> change) {
        Path lockFile = dir.lockFile();
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath(), p -> new ReentrantLock());
        jvmLock.lock();
        // No CREATE: a missing lock file means the box is gone (or going), and must not be brought back.
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            Optional<BoxState> current = read(dir);
            if (current.isEmpty()) {
                return current;
            }
            BoxState next = change.apply(current.get());
            if (next != current.get()) {
                PropertiesFile.write(dir.stateFile(), next.toProperties(), COMMENT);
            }
            return Optional.of(next);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + dir.stateFile() + ": " + e.getMessage(), e);
        } finally {
            jvmLock.unlock();
        }
    }
}
