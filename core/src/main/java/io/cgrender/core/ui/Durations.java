package io.cgrender.core.ui;

import java.time.Duration;

/** Durations as people read them: {@code 45s}, {@code 3m20s}, {@code 2h5m}, {@code 1d4h}. */
public final class Durations {

    private Durations() {
    }

    public static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + (s % 60 > 0 ? (s % 60) + "s" : "");
        }
        if (s < 86400) {
            return (s / 3600) + "h" + ((s % 3600) / 60 > 0 ? ((s % 3600) / 60) + "m" : "");
        }
        return (s / 86400) + "d" + ((s % 86400) / 3600 > 0 ? ((s % 86400) / 3600) + "h" : "");
    }
}
