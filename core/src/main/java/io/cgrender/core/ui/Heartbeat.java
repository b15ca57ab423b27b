package io.cgrender.core.ui;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Progress for a long blocking call that reports nothing by itself (a remote apt-get, a render): while open, it
 * tells {@link Progress} every second how long the call has run and what it last said, so the user sees a line
 * after {@link Progress#QUIET_PERIOD} and then periodically.
 */
public final class Heartbeat implements AutoCloseable {

    private final ScheduledExecutorService ticker;

    private Heartbeat(ScheduledExecutorService ticker) {
        this.ticker = ticker;
    }

    /**
     * Starts reporting {@code stage}.
     *
     * @param detail the latest observation, e.g. the last line of output; may return an empty string
     */
    public static Heartbeat start(Progress progress, String stage, Duration timeout, Supplier<String> detail) {
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cgrender-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        ticker.scheduleAtFixedRate(() -> progress.waiting(stage, Duration.ofNanos(System.nanoTime() - start), timeout,
                detail.get()), 1, 1, TimeUnit.SECONDS);
        return new Heartbeat(ticker);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
