package io.cgrender.core.claim;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Tags;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Optional;

/**
 * One box as the claim protocol sees it: ready, being worked on by a live creator, an orphan (worked on by nobody:
 * its creator's lease lapsed), failed, or none of these (a box without a stage, which cgrender never hands out).
 *
 * @param orphanReason why the box is an orphan (only for {@link Status#ORPHAN})
 */
public record BoxClaim(Machine machine, Status status, Optional<String> orphanReason) {

    /** What a box is to a caller that wants a box of its role. */
    public enum Status {
        /** Set up and free to use. */
        READY,
        /** Launching, setting up or imaging, with a creator that is alive. */
        IN_PROGRESS,
        /** Launching, setting up, imaging or failed, and its creator is gone. */
        ORPHAN,
        /** Failed, and its creator is cleaning it up. */
        FAILED,
        /** No stage: not a box cgrender made, or made by a cgrender from before stages. */
        UNKNOWN
    }

    /**
     * Claims are ordered by when their box was launched, then by id: every caller reads the same tags, so all agree
     * on which claim is the oldest.
     */
    public static final Comparator<Machine> ORDER = Comparator.comparing(Machine::launchedAt)
            .thenComparing(Machine::id);

    /**
     * How {@code machine} stands at {@code now}, seen from {@code thisMachine}. A box in a leased stage without a
     * readable lease (made by an older cgrender) is an orphan once it is older than {@code leaseValidity}.
     */
    public static BoxClaim of(Machine machine, Instant now, String thisMachine, Duration leaseValidity) {
        Optional<Tags.Stage> stage = machine.stage();
        if (stage.isEmpty()) {
            return new BoxClaim(machine, Status.UNKNOWN, Optional.empty());
        }
        if (!stage.get().isLeased()) {
            return new BoxClaim(machine, Status.READY, Optional.empty());
        }
        String where = stage.get().tagValue() + " since " + machine.launchedAt().truncatedTo(ChronoUnit.SECONDS)
                + ": ";
        Optional<Lease> lease = Lease.parse(machine.tags().get(Tags.LEASE));
        Optional<String> lapse = lease.isPresent() ? lease.get().lapse(now, thisMachine)
                : now.isBefore(machine.launchedAt().plus(leaseValidity)) ? Optional.empty()
                : Optional.of("nobody holds a lease on it");
        if (lapse.isPresent()) {
            return new BoxClaim(machine, Status.ORPHAN, Optional.of(where + lapse.get()));
        }
        return new BoxClaim(machine, stage.get() == Tags.Stage.FAILED ? Status.FAILED : Status.IN_PROGRESS,
                Optional.empty());
    }

    public String id() {
        return machine.id();
    }

    /**
     * Whether an orphan can be taken over instead of terminated: one left in {@code imaging} was a ready box whose
     * image was being saved, and is as good as before. A box left launching or setting up is in an unknown state
     * (an interrupted package install, half-written files) and is replaced.
     */
    public boolean resumable() {
        return status == Status.ORPHAN && machine.stage().orElse(null) == Tags.Stage.IMAGING;
    }

    /** Whether the box is a machine cgrender adopted (the user's own): an orphan of it is handed back, never ended. */
    public boolean adopted() {
        return "true".equals(machine.tags().get(Tags.ADOPTED));
    }

    /** The creator's lease, if the box has one. */
    public Optional<Lease> lease() {
        return Lease.parse(machine.tags().get(Tags.LEASE));
    }

    /** Who works on it, for progress lines: "pid 123 on this machine", "a cgrender on machine …", or "nobody". */
    public String creator(String thisMachine) {
        return lease().map(l -> l.holder().describe(thisMachine)).orElse("an earlier cgrender");
    }
}
