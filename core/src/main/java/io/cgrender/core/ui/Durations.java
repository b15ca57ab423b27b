package io.cgrender.core.ui;

import io.cgrender.core.UsageException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people read them: {@code 45s}, {@code 3m20s}, {@code 2h5m}, {@code 1d4h}. */
public final class Durations {

    /** What {@link #parse} takes besides ISO-8601: whole days, hours, minutes and seconds, in that order. */
    private static final Pattern HUMAN = Pattern.compile(
            "(?:(\\d{1,5})d)?(?:(\\d{1,6})h)?(?:(\\d{1,8})m)?(?:(\\d{1,10})s)?");
    /** How a duration is given, for messages. */
    public static final String FORMS = "e.g. 2h, 90m, 1h30m, 1d or ISO-8601 PT2H";

    private Durations() {
    }

    /**
     * A duration as a user gives it on the command line or in a box: {@code 2h}, {@code 90m}, {@code 1h30m},
     * {@code 45s}, {@code 1d12h}, or ISO-8601 ({@code PT2H}, {@code P1DT2H}); whole seconds. Empty when {@code text}
     * is none of these; zero and negative durations are durations (the caller decides what it accepts).
     */
    public static Optional<Duration> parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            return Optional.empty();
        }
        if (t.toUpperCase(Locale.ROOT).startsWith("P") || t.startsWith("-P")) {
            try {
                Duration d = Duration.parse(t);
                return d.getNano() == 0 ? Optional.of(d) : Optional.empty();
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        Matcher m = HUMAN.matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        Duration d = Duration.ZERO;
        d = d.plusDays(group(m, 1)).plusHours(group(m, 2)).plusMinutes(group(m, 3)).plusSeconds(group(m, 4));
        return Optional.of(d);
    }

    /**
     * {@link #parse}, for a positive duration the user gave as {@code what} (e.g. {@code --lifetime}); bad input is a
     * {@link UsageException} naming it, with how to give one.
     */
    public static Duration parsePositive(String text, String what) {
        Optional<Duration> d = parse(text);
        if (d.isEmpty()) {
            throw new UsageException("'" + text + "' is not a duration (" + what + ")")
                    .fix("give it as hours, minutes and seconds, " + FORMS);
        }
        if (d.get().isZero() || d.get().isNegative()) {
            throw new UsageException("'" + text + "' is no positive duration (" + what + ")")
                    .fix("give a duration longer than zero, " + FORMS);
        }
        return d.get();
    }

    private static long group(Matcher m, int i) {
        return m.group(i) == null ? 0 : Long.parseLong(m.group(i));
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
