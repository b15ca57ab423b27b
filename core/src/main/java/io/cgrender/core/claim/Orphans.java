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

    private Orphans() {
    }

    /**
     * The orphans among {@code boxes} as garbage of kind {@code kind}, leaving out the ids in {@code listed} (found
     * for another reason already).
     */
    public static List<Garbage> asGarbage(List<Machine> boxes, Instant now, Settings settings, String kind,
                                          Set<String> listed) {
        return boxes.stream().filter(m -> !listed.contains(m.id()))
                .map(m -> BoxClaim.of(m, now, MachineId.current(), settings.duration("cgrender.claims.lease")))
                .filter(c -> c.status() == BoxClaim.Status.ORPHAN)
                .map(c -> new Garbage(kind, c.id(), "orphan (" + c.machine().role() + ", "
                        + c.orphanReason().orElse("") + ")"))
                .toList();
    }
}
