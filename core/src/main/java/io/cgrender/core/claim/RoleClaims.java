package io.cgrender.core.claim;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The boxes of one role in one namespace, as the claim protocol reads them at one moment. Pure: it decides, the
 * caller acts.
 * <p>
 * The rule that makes concurrent callers converge on one box: a caller that launched a box stands down (terminates
 * it and uses the other) when it sees a ready running box of the role, or a live claim older than its own
 * ({@link BoxClaim#ORDER}). The oldest live claim never stands down, so among callers that see each other exactly one
 * box remains.
 */
public final class RoleClaims {

    private final List<BoxClaim> claims;

    public RoleClaims(List<Machine> boxes, Instant now, String thisMachine, Duration leaseValidity) {
        this.claims = boxes.stream().sorted(BoxClaim.ORDER).map(m -> BoxClaim.of(m, now, thisMachine, leaseValidity))
                .toList();
    }

    /** Every box, oldest claim first. */
    public List<BoxClaim> all() {
        return claims;
    }

    /**
     * The ready boxes a caller may use, best first: the primary box, then running before stopped, then the oldest.
     */
    public List<Machine> reusable(Optional<String> primary) {
        return reusable(claims.stream().map(BoxClaim::machine).toList(), primary);
    }

    /** {@link #reusable(Optional)} of {@code boxes}: ready ones only, whatever their leases say. */
    public static List<Machine> reusable(List<Machine> boxes, Optional<String> primary) {
        return boxes.stream().filter(m -> m.stage().filter(s -> !s.isLeased()).isPresent())
                .filter(m -> m.state() == MachineState.RUNNING || m.state() == MachineState.STOPPED)
                .sorted(Comparator.comparing((Machine m) -> !primary.map(m.id()::equals).orElse(false))
                        .thenComparing((Machine m) -> m.state() != MachineState.RUNNING)
                        .thenComparing(BoxClaim.ORDER))
                .toList();
    }

    /** Boxes a live creator is still working on, oldest claim first. */
    public List<BoxClaim> inProgress() {
        return claims.stream().filter(c -> c.status() == BoxClaim.Status.IN_PROGRESS).toList();
    }

    /** Boxes nobody works on any more, oldest first. */
    public List<BoxClaim> orphans() {
        return claims.stream().filter(c -> c.status() == BoxClaim.Status.ORPHAN).toList();
    }

    /**
     * The box that {@code mine} (a box this caller launched) must give way to: a ready running box, else a live
     * claim older than {@code mine}; empty when {@code mine} is the oldest live claim.
     */
    public Optional<Machine> winnerOver(Machine mine) {
        Optional<Machine> ready = claims.stream()
                .filter(c -> c.status() == BoxClaim.Status.READY && !c.id().equals(mine.id()))
                .map(BoxClaim::machine).filter(m -> m.state() == MachineState.RUNNING).findFirst();
        if (ready.isPresent()) {
            return ready;
        }
        return inProgress().stream().map(BoxClaim::machine)
                .filter(m -> !m.id().equals(mine.id()) && BoxClaim.ORDER.compare(m, mine) < 0).findFirst();
    }
}
