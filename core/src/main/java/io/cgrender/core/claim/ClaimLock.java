package io.cgrender.core.claim;

import io.cgrender.core.CgrenderException;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * The advisory lock that lets the cgrender processes of one machine take turns at creating a box of one role in one
 * namespace: the first creates, the others wait and then find its box ready. An fcntl lock, so a killed holder
 * releases it at once; plus a semaphore per file within one JVM, where fcntl locks do not exclude each other. The
 * holder writes its pid into the file, for the others' progress lines.
 * <p>
 * It only spares the callers of one machine a launch that the convergence rule ({@link RoleClaims}) would undo;
 * callers on other machines do not see it, and do not need to.
 */
public final class ClaimLock {

    private static final Map<Path, Semaphore> IN_JVM = new ConcurrentHashMap<>();
    private static final Duration POLL = Duration.ofMillis(50);

    private final Path file;

    public ClaimLock(Path file) {
        this.file = file.toAbsolutePath();
    }

    public Path file() {
        return file;
    }

    /** The held lock; closing releases it. */
    public final class Held implements AutoCloseable {
        private final Semaphore jvm;
        private final FileChannel channel;
        private final FileLock lock;

        private Held(Semaphore jvm, FileChannel channel, FileLock lock) {
            this.jvm = jvm;
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
                jvm.release();
            }
        }
    }

    /**
     * Takes the lock, waiting at most {@code timeout} while another process holds it.
     *
     * @param what what the holder is doing, for the progress line, e.g. "creating a box of r in /ns/"
     */
    public Held acquire(Duration timeout, Progress progress, String what) {
        Semaphore jvm = IN_JVM.computeIfAbsent(file, f -> new Semaphore(1));
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new CgrenderException("cannot create " + file.getParent() + ": " + e.getMessage()
                    + " (check XDG_STATE_HOME)", e);
        }
        return Wait.until("waiting for another cgrender on this machine that is " + what, timeout, POLL, progress,
                () -> {
                    Held held = tryAcquire(jvm);
                    return held != null ? Wait.Poll.ready(held) : Wait.Poll.notYet(holder());
                });
    }

    private Held tryAcquire(Semaphore jvm) {
        if (!jvm.tryAcquire()) {
            return null;
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                jvm.release();
                return null;
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
            return new Held(jvm, channel, lock);
        } catch (IOException | RuntimeException e) {
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException ignored) {
                // nothing held
            }
            jvm.release();
            throw new CgrenderException("cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    /** "pid 123", as the holder wrote it, for progress lines. */
    private String holder() {
        try {
            String pid = Files.readString(file).strip();
            return pid.isEmpty() ? "held" : "held by pid " + pid;
        } catch (IOException e) {
            return "held";
        }
    }
}
