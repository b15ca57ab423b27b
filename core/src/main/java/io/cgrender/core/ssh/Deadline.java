package io.cgrender.core.ssh;

import java.time.Duration;

/** A point in time a whole operation must finish by; each step gets what is left (carried forward, not reset). */
final class Deadline {

    private final long start;
    private final long end;

    private Deadline(long start, long end) {
        this.start = start;
        this.end = end;
    }

    static Deadline after(Duration timeout) {
        long now = System.nanoTime();
        return new Deadline(now, now + timeout.toNanos());
    }

    /** What is left, never negative; MINA's futures reject negative waits. */
    Duration remaining() {
        return Duration.ofNanos(Math.max(0, end - System.nanoTime()));
    }

    boolean isPast() {
        return end - System.nanoTime() <= 0;
    }

    Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** {@code limit}, or what is left if that is less. */
    Duration cap(Duration limit) {
        Duration left = remaining();
        return left.compareTo(limit) < 0 ? left : limit;
    }
}
