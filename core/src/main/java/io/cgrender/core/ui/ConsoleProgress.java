package io.cgrender.core.ui;

import java.time.Duration;

/** Prints the first progress line after {@link #QUIET_PERIOD}, then one every {@link #INTERVAL}. */
final class ConsoleProgress implements Progress {

    static final Duration INTERVAL = Duration.ofSeconds(10);

    private final Console console;
    private String lastStage;
    private Duration lastPrinted;

    ConsoleProgress(Console console) {
        this.console = console;
    }

    @Override
    public synchronized void waiting(String stage, Duration elapsed, Duration timeout, String detail) {
        if (!stage.equals(lastStage)) {
            lastStage = stage;
            lastPrinted = null;
        }
        if (elapsed.compareTo(QUIET_PERIOD) < 0) {
            return;
        }
        if (lastPrinted != null && elapsed.minus(lastPrinted).compareTo(INTERVAL) < 0) {
            return;
        }
        lastPrinted = elapsed;
        console.status("… " + stage + " (" + Durations.human(elapsed) + "; gives up after "
                + Durations.human(timeout) + ")" + (detail == null || detail.isEmpty() ? "" : ": " + detail));
    }

    @Override
    public void step(String message) {
        console.status(message);
    }
}
