package io.cgrender.core.job;

import io.cgrender.core.UsageException;

import java.util.Locale;

/**
 * What a box does when a job ends, carried out by the box itself so it happens even when no client is attached:
 * keep running (the idle watchdog ends it later), stop, or terminate.
 */
public enum After {
    KEEP, STOP, TERMINATE;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static After parse(String text) {
        for (After a : values()) {
            if (a.word().equals(text)) {
                return a;
            }
        }
        throw new UsageException("--after takes keep, stop or terminate, not '" + text + "'");
    }
}
