package io.cgrender.core.claim;

import io.cgrender.core.cloud.Garbage;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.Settings;
import io.cgrender.core.os.MachineId;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The orphans among a namespace's boxes, for {@code gc}: boxes left launching, setting up or imaging by a creator that
 * is gone.
 */
public final class Orphans {

    /** The kind of garbage an abandoned adopted machine is: removing it hands it back rather than ending it. */
    public static final String ADOPTED_BOX = "adopted box";

    private Orphans() {
    }

    /**
     * The orphans among {@code boxes} as garbage of kind {@code kind} (adopted machines as {@link #ADOPTED_BOX}),
     * leaving out the ids in {@code listed} (found for another reason already).
     */
    public static List<Garbage> asGarbage(List<Machine> boxes, Instant now, Settings settings, String kind,
                                          Set<String> listed) {
        return boxes.stream().filter(m -> !listed.contains(m.id()))
                .map(m -> BoxClaim.of(m, now, MachineId.current(), settings.duration("cgrender.claims.lease")))
                .filter(c -> c.status() == BoxClaim.Status.ORPHAN)
                .map(c -> c.adopted() ? new Garbage(ADOPTED_BOX, c.id(), "orphan, handed back by gc --yes ("
                        + c.machine().role() + ", " + c.orphanReason().orElse("") + ")")
                        : new Garbage(kind, c.id(), "orphan (" + c.machine().role() + ", "
                        + c.orphanReason().orElse("") + ")"))
                .toList();
    }
}
