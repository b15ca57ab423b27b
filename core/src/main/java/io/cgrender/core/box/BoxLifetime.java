package io.cgrender.core.box;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Tags;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * When a box ends itself, as its tags tell: at its hard max lifetime ({@link Tags#EXPIRES_AT}), or once it has been
 * idle for its idle timeout ({@link Tags#IDLE_TIMEOUT}), counted from {@link Tags#IDLE_SINCE} where the box reports
 * it. A tag that is missing or does not parse is unknown, never guessed.
 *
 * @param expiresAt   the end of its max lifetime
 * @param idleTimeout how long it may be idle
 * @param idle        what the box last reported about its idle timer
 * @param idleSince   since when it has been idle, when {@code idle} is {@link Idle#IDLE}
 */
public record BoxLifetime(Optional<Instant> expiresAt, Optional<Duration> idleTimeout, Idle idle,
                          Optional<Instant> idleSince) {

    /** The box's idle timer as the box reported it. */
    public enum Idle {
        /** An SSH session or a job keeps it: the idle timer has not started. */
        BUSY,
        /** No session and no job since {@link #idleSince}. */
        IDLE,
        /** The box has not reported it (it cannot, or has not yet). */
        UNREPORTED
    }

    /** Why a box will end itself: the sooner of its two limits. */
    public enum Limit { IDLE_TIMEOUT, MAX_LIFETIME }

    /** The next end the box will bring about by itself, and which limit brings it. */
    public record Ending(Instant at, Limit limit) {
    }

    public static BoxLifetime of(Machine machine) {
        Optional<Instant> expiresAt = instant(machine.tags().get(Tags.EXPIRES_AT));
        Optional<Duration> idleTimeout = duration(machine.tags().get(Tags.IDLE_TIMEOUT));
        String since = machine.tags().get(Tags.IDLE_SINCE);
        if (Tags.BUSY.equals(since)) {
            return new BoxLifetime(expiresAt, idleTimeout, Idle.BUSY, Optional.empty());
        }
        Optional<Instant> idleSince = instant(since);
        return new BoxLifetime(expiresAt, idleTimeout, idleSince.isPresent() ? Idle.IDLE : Idle.UNREPORTED,
                idleSince);
    }

    /** When the idle timer ends the box, if it runs. */
    public Optional<Instant> idleEndsAt() {
        return idle == Idle.IDLE && idleTimeout.isPresent()
                ? Optional.of(idleSince.orElseThrow().plus(idleTimeout.get())) : Optional.empty();
    }

    /** The sooner of the idle timer's end and the max lifetime, as far as they are known. */
    public Optional<Ending> next() {
        Optional<Instant> idleEnd = idleEndsAt();
        if (idleEnd.isPresent() && (expiresAt.isEmpty() || idleEnd.get().isBefore(expiresAt.get()))) {
            return Optional.of(new Ending(idleEnd.get(), Limit.IDLE_TIMEOUT));
        }
        return expiresAt.map(at -> new Ending(at, Limit.MAX_LIFETIME));
    }

    private static Optional<Instant> instant(String value) {
        try {
            return value == null || value.isBlank() ? Optional.empty() : Optional.of(Instant.parse(value));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> duration(String value) {
        try {
            return value == null || value.isBlank() ? Optional.empty() : Optional.of(Duration.parse(value));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
