package io.cgrender.core.box;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Tags;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * When a box ends itself, as its tags tell: at its hard max lifetime ({@link Tags#EXPIRES_AT}), or once it has been
 * idle for its idle timeout ({@link Tags#IDLE_TIMEOUT}), counted from {@link Tags#IDLE_SINCE} where the box reports
 * it; neither while it is kept ({@link Tags#KEPT}). A tag that is missing or does not parse is unknown, never guessed.
 *
 * @param expiresAt   the end of its max lifetime (while kept: the end it had before, which counts again on release)
 * @param idleTimeout how long it may be idle
 * @param idle        what the box last reported about its idle timer
 * @param idleSince   since when it has been idle, when {@code idle} is {@link Idle#IDLE}
 * @param keptSince   since when the box is kept ({@code cgrender-box keep}); empty when it is not
 * @param maxLifetime its max lifetime, which caps an extension (from now); empty where the box does not tell
 */
public record BoxLifetime(Optional<Instant> expiresAt, Optional<Duration> idleTimeout, Idle idle,
                          Optional<Instant> idleSince, Optional<Instant> keptSince, Optional<Duration> maxLifetime) {

    /** Neither kept nor telling its max lifetime. */
    public BoxLifetime(Optional<Instant> expiresAt, Optional<Duration> idleTimeout, Idle idle,
                       Optional<Instant> idleSince) {
        this(expiresAt, idleTimeout, idle, idleSince, Optional.empty(), Optional.empty());
    }

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
        Map<String, String> tags = machine.tags();
        Optional<Instant> expiresAt = instant(tags.get(Tags.EXPIRES_AT));
        Optional<Duration> idleTimeout = duration(tags.get(Tags.IDLE_TIMEOUT));
        Optional<Instant> kept = instant(tags.get(Tags.KEPT));
        if (kept.isEmpty() && tags.get(Tags.KEPT) != null && !tags.get(Tags.KEPT).isBlank()) {
            kept = Optional.of(machine.launchedAt()); // kept, since when is garbled: kept all the same
        }
        Optional<Duration> maxLifetime = duration(tags.get(Tags.MAX_LIFETIME));
        String since = tags.get(Tags.IDLE_SINCE);
        if (Tags.BUSY.equals(since)) {
            return new BoxLifetime(expiresAt, idleTimeout, Idle.BUSY, Optional.empty(), kept, maxLifetime);
        }
        Optional<Instant> idleSince = instant(since);
        return new BoxLifetime(expiresAt, idleTimeout, idleSince.isPresent() ? Idle.IDLE : Idle.UNREPORTED,
                idleSince, kept, maxLifetime);
    }

    /** Whether the box is kept: it ends itself neither at its expiry nor by its idle timer until it is released. */
    public boolean kept() {
        return keptSince.isPresent();
    }

    /**
     * Whether the box has no expiry ({@code create --no-expiry}): an idle timeout but no max lifetime. A box that tells
     * neither (an adopted instance) is not said to have none: cgrender knows nothing of its end.
     */
    public boolean noExpiry() {
        return expiresAt.isEmpty() && idleTimeout.isPresent();
    }

    /** Whether the box's max lifetime is over at {@code now}: never while it is kept. */
    public boolean expired(Instant now) {
        return !kept() && expiresAt.isPresent() && !now.isBefore(expiresAt.get());
    }

    /**
     * The expiry an agent sets on {@code extend by} at {@code now}: {@code by} later, but at most the max lifetime from
     * now where the box tells it, and never sooner than it is; empty for a box with no expiry.
     */
    public Optional<Instant> extendedBy(Duration by, Instant now) {
        return expiresAt.map(at -> {
            Instant wanted = at.plus(by);
            if (maxLifetime.isPresent() && wanted.isAfter(now.plus(maxLifetime.get()))) {
                wanted = now.plus(maxLifetime.get());
            }
            return wanted.isAfter(at) ? wanted : at;
        });
    }

    /** When the idle timer ends the box, if it runs (never while it is kept). */
    public Optional<Instant> idleEndsAt() {
        return !kept() && idle == Idle.IDLE && idleTimeout.isPresent()
                ? Optional.of(idleSince.orElseThrow().plus(idleTimeout.get())) : Optional.empty();
    }

    /** The sooner of the idle timer's end and the max lifetime, as far as they are known; none while kept. */
    public Optional<Ending> next() {
        if (kept()) {
            return Optional.empty();
        }
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
