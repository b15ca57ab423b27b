package io.cgrender.core.ui;

import io.cgrender.core.CgrenderException;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * A bounded poll: every wait in cgrender has a timeout and reports its progress. Polling is for conditions no
 * event announces (a process writing a file, a port opening, a cloud resource changing state). A poll that was told
 * to slow down (a cloud throttling its callers) backs off: the pause grows exponentially, with jitter, up to
 * {@link #MAX_BACK_OFF}, and returns to the interval after the next poll that was not told so.
 */
public final class Wait {

    /** The longest pause between two polls that were told to slow down. */
    public static final Duration MAX_BACK_OFF = Duration.ofSeconds(20);

    private Wait() {
    }

    /**
     * One poll's answer: the value once ready, or what was seen instead (shown in progress and timeout errors), and
     * whether the polled thing asked to be asked less often.
     */
    public record Poll<T>(Optional<T> value, String observation, boolean backOff) {
        public static <T> Poll<T> ready(T value) {
            return new Poll<>(Optional.of(value), "", false);
        }

        public static <T> Poll<T> notYet(String observation) {
            return new Poll<>(Optional.empty(), observation, false);
        }

        /** Not yet, and the next poll should wait longer than the last (e.g. the cloud throttled the call). */
        public static <T> Poll<T> backOff(String observation) {
            return new Poll<>(Optional.empty(), observation, true);
        }
    }

    /**
     * Polls {@code probe} every {@code interval} until it is ready or {@code timeout} passes; after a poll that says
     * {@link Poll#backOff back off}, the pause grows (see {@link #pause}).
     *
     * @param stage what is awaited, e.g. "waiting for l-3f2a9c to run"; used in progress lines and the error
     * @throws CgrenderException on timeout, naming the stage, the timeout and the last observation
     * @throws CgrenderException if interrupted (e.g. Ctrl-C), so cleanup can begin at once
     */
    public static <T> T until(String stage, Duration timeout, Duration interval, Progress progress,
                              Supplier<Poll<T>> probe) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        int backOffs = 0;
        while (true) {
            Poll<T> poll = probe.get();
            if (poll.value().isPresent()) {
                return poll.value().get();
            }
            String observation = poll.observation();
            backOffs = poll.backOff() ? backOffs + 1 : 0;
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw new CgrenderException("timed out after " + timeout.toSeconds() + "s " + stage
                        + (observation.isEmpty() ? "" : " (last seen: " + observation + ")"));
            }
            progress.waiting(stage, Duration.ofNanos(now - start), timeout, observation);
            try {
                Thread.sleep(Math.max(1, Math.min(pause(interval, backOffs).toMillis(), (deadline - now) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CgrenderException("interrupted while " + stage, e);
            }
        }
    }

    /**
     * The pause after {@code backOffs} polls in a row that said back off: {@code interval} when none did, else a
     * random time between {@code interval} and {@code interval × 2^backOffs}, at most {@link #MAX_BACK_OFF} (full
     * jitter, so callers throttled at the same moment do not all come back at the same moment).
     */
    static Duration pause(Duration interval, int backOffs) {
        if (backOffs <= 0) {
            return interval;
        }
        long base = Math.max(1, interval.toMillis());
        long ceiling = Math.min(MAX_BACK_OFF.toMillis(), base << Math.min(backOffs, 20));
        return Duration.ofMillis(ceiling <= base ? base : ThreadLocalRandom.current().nextLong(base, ceiling + 1));
    }
}
