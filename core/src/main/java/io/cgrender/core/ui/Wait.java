package io.cgrender.core.ui;

import io.cgrender.core.CgrenderException;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A bounded poll: every wait in cgrender has a timeout and reports its progress. Polling is for conditions no
 * event announces (a process writing a file, a port opening); SDK waiters are used where a cloud offers them.
 */
public final class Wait {

    private Wait() {
    }

    /** One poll's answer: the value once ready, or what was seen instead (shown in progress and timeout errors). */
    public record Poll<T>(Optional<T> value, String observation) {
        public static <T> Poll<T> ready(T value) {
            return new Poll<>(Optional.of(value), "");
        }

        public static <T> Poll<T> notYet(String observation) {
            return new Poll<>(Optional.empty(), observation);
        }
    }

    /**
     * Polls {@code probe} every {@code interval} until it is ready or {@code timeout} passes.
     *
     * @param stage what is awaited, e.g. "waiting for l-3f2a9c to run"; used in progress lines and the error
     * @throws CgrenderException on timeout, naming the stage, the timeout and the last observation
     * @throws CgrenderException if interrupted (e.g. Ctrl-C), so cleanup can begin at once
     */
    public static <T> T until(String stage, Duration timeout, Duration interval, Progress progress,
                              Supplier<Poll<T>> probe) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        String observation = "";
        while (true) {
            Poll<T> poll = probe.get();
            if (poll.value().isPresent()) {
                return poll.value().get();
            }
            observation = poll.observation();
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw new CgrenderException("timed out after " + timeout.toSeconds() + "s " + stage
                        + (observation.isEmpty() ? "" : " (last seen: " + observation + ")"));
            }
            progress.waiting(stage, Duration.ofNanos(now - start), timeout, observation);
            try {
                Thread.sleep(Math.max(1, Math.min(interval.toMillis(), (deadline - now) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CgrenderException("interrupted while " + stage, e);
            }
        }
    }
}
