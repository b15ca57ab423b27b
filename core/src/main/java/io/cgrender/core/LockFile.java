package io.cgrender.core;

import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * stays. The holder writes its pid into the file, so that those who wait can say whom they wait for.
 */
public final class LockFile {

    /** Work done while holding the lock. */
    public interface Action<T> {
        T run() throws IOException;
    }

    /** A held lock; closing releases it (in the thread that took it). */
    public static final class Held implements AutoCloseable {
        private final ReentrantLock inProcess;
        private final FileChannel channel;
        private final FileLock lock;

        private Held(ReentrantLock inProcess, FileChannel channel, FileLock lock) {
            this.inProcess = inProcess;
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                channel.truncate(0);
                lock.release();
                channel.close();
            } catch (IOException e) {
                // closing the channel released the lock in any case
            } finally {
                inProcess.unlock();
            }
        }
    }

    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final Duration RETRY = Duration.ofMillis(20);

    private LockFile() {
    }

    /**
     * Runs {@code action} holding the lock of {@code lockFile} (created if missing), waiting at most {@code timeout}
     * for it and reporting the wait to {@code progress}. Meant for short critical sections: making a file once, a
     * read-modify-write.
     *
     * @throws CgrenderException when the lock stays taken for {@code timeout}
     */
    public static <T> T holding(Path lockFile, Duration timeout, Progress progress, Action<T> action)
            throws IOException {
        try (Held ignored = acquire(lockFile, timeout, progress, Optional.empty())) {
            return action.run();
        }
    }

    /**
     * Takes the lock of {@code lockFile} (created with its directory if missing), waiting at most {@code timeout} and
     * reporting the wait to {@code progress}.
     *
     * @param purpose what a holder does, for the waiters' progress line and the timeout error, e.g. "creating a box
     *                of openscad-ubuntu-box in /alice/"
     * @throws CgrenderException when the lock stays taken for {@code timeout}
     */
    public static Held acquire(Path lockFile, Duration timeout, Progress progress, Optional<String> purpose) {
        String stage = purpose.map(p -> "waiting for another cgrender on this machine that is " + p)
                .orElse("waiting for " + lockFile + ", which another cgrender process holds (end it if it hangs)");
        long deadline = System.nanoTime() + timeout.toNanos();
        ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(),
                p -> new ReentrantLock());
        Wait.until(stage, timeout, RETRY, progress, () -> inProcess.tryLock() ? Wait.Poll.ready(Boolean.TRUE)
                : Wait.Poll.notYet("held by another thread"));
        FileChannel channel = null;
        try {
            Files.createDirectories(lockFile.toAbsolutePath().getParent());
            FileChannel open = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel = open;
            FileLock lock = Wait.until(stage, remaining(deadline), RETRY, progress, () -> tryLock(open, lockFile)
                    .map(Wait.Poll::ready).orElseGet(() -> Wait.Poll.notYet(holder(lockFile))));
            open.truncate(0);
            open.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
            return new Held(inProcess, open, lock);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            inProcess.unlock();
            if (e instanceof CgrenderException c) {
                throw c;
            }
            throw new CgrenderException("cannot lock " + lockFile + ": " + e.getMessage() + " (check that its"
                    + " directory is writable)", e);
        }
    }

    private static Optional<FileLock> tryLock(FileChannel channel, Path lockFile) {
        try {
            return Optional.ofNullable(channel.tryLock());
        } catch (IOException e) {
            throw new CgrenderException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    /** "held by pid 123", as the holder wrote it, for progress lines and errors. */
    private static String holder(Path lockFile) {
        try {
            String pid = Files.readString(lockFile).strip();
            return pid.matches("\\d+") ? "held by pid " + pid : "held by another process";
        } catch (IOException e) {
            return "held by another process";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing is held
            }
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }
}
