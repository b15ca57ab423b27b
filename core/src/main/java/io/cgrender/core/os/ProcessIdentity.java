package io.cgrender.core.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A process identified by pid <em>and</em> start time, so that a recycled pid is never mistaken for the process
 * that was recorded (and never signalled in its place).
 */
public record ProcessIdentity(long pid, Instant startedAt) {

    /**
     * Start times are derived from {@code /proc} (boot time + ticks); allow for the kernel's boot-time jitter. A pid
     * is not recycled within seconds, so this tolerance cannot confuse two processes.
     */
    private static final Duration START_TOLERANCE = Duration.ofSeconds(2);

    public static ProcessIdentity current() {
        return of(ProcessHandle.current()).orElseThrow();
    }

    /** The identity of {@code handle}, if the platform reports its start time. */
    public static Optional<ProcessIdentity> of(ProcessHandle handle) {
        return handle.info().startInstant().map(start -> new ProcessIdentity(handle.pid(), start));
    }

    /** The handle of this very process, if it is still alive (not a zombie, not a recycled pid). */
    public Optional<ProcessHandle> handle() {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !isRunning(pid)) {
            return Optional.empty();
        }
        Optional<Instant> start = handle.get().info().startInstant();
        if (start.isEmpty() || Duration.between(start.get(), startedAt).abs().compareTo(START_TOLERANCE) > 0) {
            return Optional.empty();
        }
        return handle;
    }

    public boolean isAlive() {
        return handle().isPresent();
    }

    /**
     * Waits until {@code process} has exited, at most {@code timeout}. Polls: {@link ProcessHandle#onExit()} of a
     * process that is not our child waits until it is reaped, which an init that reaps lazily delays by seconds.
     *
     * @return whether it exited in time
     */
    public static boolean awaitExit(ProcessHandle process, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(process.pid())) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Whether {@code pid} names a process that has not exited (a zombie has). */
    public static boolean isRunning(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !isZombie(pid);
    }

    /**
     * A process that exited but was not reaped yet (its parent is gone and nobody waits for it) still has a pid;
     * it is dead for our purposes.
     */
    private static boolean isZombie(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        try {
            String text = Files.readString(stat);
            int close = text.lastIndexOf(')');
            if (close < 0 || close + 2 >= text.length()) {
                return false;
            }
            char state = text.charAt(close + 2);
            return state == 'Z' || state == 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
