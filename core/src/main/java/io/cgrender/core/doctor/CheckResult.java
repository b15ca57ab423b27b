package io.cgrender.core.doctor;

import io.cgrender.core.CgrenderException;

import java.util.Locale;
import java.util.Optional;

/**
 * What one {@link Check} found: it passed, passed with a caveat, failed, or did not apply here (skipped, with the
 * reason). A failure says what is wrong and, where there is one, the fix (a command or setting that works as written)
 * and where to read more.
 *
 * @param detail what was found, or what is wrong, or why the check does not apply
 */
public record CheckResult(Status status, String detail, Optional<String> fix, Optional<String> see) {

    public enum Status {
        /** Passed. */
        OK,
        /** Passed, but something works less well than it could (a fallback applies, a plugin was skipped). */
        WARN,
        /** Failed: cgrender will not work as configured until it is fixed. */
        FAIL,
        /** Does not apply to this configuration (e.g. no mail configured). */
        SKIPPED;

        /** The word for {@code --json}: ok, warn, fail, skipped. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static CheckResult ok(String detail) {
        return new CheckResult(Status.OK, detail, Optional.empty(), Optional.empty());
    }

    public static CheckResult warn(String detail, String fix) {
        return new CheckResult(Status.WARN, detail, Optional.of(fix), Optional.empty());
    }

    public static CheckResult fail(String detail, String fix) {
        return new CheckResult(Status.FAIL, detail, Optional.of(fix), Optional.empty());
    }

    /** A failure without a fix of its own (the detail says what to do). */
    public static CheckResult fail(String detail) {
        return new CheckResult(Status.FAIL, detail, Optional.empty(), Optional.empty());
    }

    public static CheckResult skipped(String reason) {
        return new CheckResult(Status.SKIPPED, reason, Optional.empty(), Optional.empty());
    }

    /**
     * The failure {@code e} explains: its message, and its {@code fix:} or {@code see:} line as the fix or the place
     * to read more.
     */
    public static CheckResult failure(CgrenderException e) {
        CheckResult failed = fail(e.getMessage());
        Optional<String> hint = e.hint();
        if (hint.isPresent() && hint.get().startsWith("fix: ")) {
            return failed.withFix(hint.get().substring("fix: ".length()));
        }
        if (hint.isPresent() && hint.get().startsWith("see: ")) {
            return failed.withSee(hint.get().substring("see: ".length()));
        }
        return failed;
    }

    public CheckResult withFix(String what) {
        return new CheckResult(status, detail, Optional.of(what), see);
    }

    /** Adds where to read more, e.g. {@code README.md#aws-permissions}. */
    public CheckResult withSee(String where) {
        return new CheckResult(status, detail, fix, Optional.of(where));
    }

    /** Whether this result makes {@code cgrender doctor} fail. */
    public boolean failed() {
        return status == Status.FAIL;
    }
}
