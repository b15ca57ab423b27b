package io.cgrender.core;

import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion on this machine through a lock file: an advisory lock ({@code fcntl}) against other processes, plus
 * an in-process lock against other threads (a JVM cannot hold two overlapping file locks: the second throws). The
 * kernel releases the file lock when its process dies, so a crashed holder never blocks anyone; the lock file itself
 * stays, empty. Meant for short critical sections: making a file once, a read-modify-write.
 */
public final class LockFile {

    /** Work done while holding the lock. */
    public interface Action<T> {
        T run() throws IOException;
    }

    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final Duration RETRY = Duration.ofMillis(20);

    private LockFile() {
    }

    /**
     * Runs {@code action} holding the lock of {@code lockFile} (created if missing), waiting at most {@code timeout}
     * for it and reporting the wait to {@code progress}.
     *
     * @throws CgrenderException when the lock stays taken for {@code timeout}
     */
    public static <T> T holding(Path lockFile, Duration timeout, Progress progress, Action<T> action)
            throws IOException {
        String stage = "waiting for " + lockFile + ", which another cgrender process holds (end it if it hangs)";
        long deadline = System.nanoTime() + timeout.toNanos();
        ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(),
                p -> new ReentrantLock());
        Wait.until(stage, timeout, RETRY, progress, () -> inProcess.tryLock() ? Wait.Poll.ready(Boolean.TRUE)
                : Wait.Poll.notYet("held by another thread"));
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = Wait.until(stage, remaining(deadline), RETRY, progress, () -> tryLock(channel, lockFile)
                     .map(Wait.Poll::ready).orElseGet(() -> Wait.Poll.notYet("held by another process")))) {
            return action.run();
        } finally {
            inProcess.unlock();
        }
    }

    private static Optional<FileLock> tryLock(FileChannel channel, Path lockFile) {
        try {
            return Optional.ofNullable(channel.tryLock());
        } catch (IOException e) {
            throw new CgrenderException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }
}
