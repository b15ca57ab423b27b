package io.cgrender.core.claim;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * A creator's lease on a box it is still working on (launching, setting up, imaging): who and until when, kept in
 * the tag {@link io.cgrender.core.ns.Tags#LEASE} as {@code <until> <holder>} and renewed while the holder lives
 * ({@link LeaseKeeper}). A box in such a stage whose lease has lapsed is an orphan.
 * <p>
 * A lease lapses when its time is up, or — read on the holder's own machine — as soon as the holding process is
 * gone: the local cloud, and every cgrender of one machine, learn of a killed creator at once, without waiting out the
 * lease.
 */
public record Lease(Holder holder, Instant until) {

    /** A lease of this process, valid for {@code validity} from {@code now}. */
    public static Lease ofSelf(Instant now, java.time.Duration validity) {
        return new Lease(Holder.self(), now.plus(validity).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    public String tagValue() {
        return until + " " + holder.tagValue();
    }

    /** The lease a tag value holds; empty for a missing, released (empty) or unreadable value. */
    public static Optional<Lease> parse(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String[] parts = value.strip().split(" ");
        if (parts.length != 2) {
            return Optional.empty();
        }
        try {
            Instant until = Instant.parse(parts[0]);
            return Holder.parse(parts[1]).map(h -> new Lease(h, until));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /**
     * Why this lease no longer protects its box, as seen from {@code thisMachine} at {@code now}; empty while it does.
     * On the holder's machine only the holder's life counts (a live holder may have been suspended, and renews when
     * it resumes); elsewhere only the time.
     */
    public Optional<String> lapse(Instant now, String thisMachine) {
        if (holder.runsOn(thisMachine)) {
            return holder.isAlive() ? Optional.empty()
                    : Optional.of("its creator, " + holder.describe(thisMachine) + ", is gone");
        }
        return now.isBefore(until) ? Optional.empty()
                : Optional.of("the lease of its creator, " + holder.describe(thisMachine) + ", lapsed at " + until);
    }

    /** Whether {@code other} is held by the same process. */
    public boolean sameHolder(Lease other) {
        return holder.equals(other.holder);
    }
}
