package io.cgrender.core.claim;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.os.MachineId;
import io.cgrender.core.ui.Console;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The claim protocol for the boxes of one role in one namespace, as one caller uses it: leases on the boxes it works
 * on, the checks that make concurrent creators converge on one box, and what to do with orphans. The cloud only
 * stores and reads tags.
 */
public final class Claims {

    private final Cloud cloud;
    private final Namespace namespace;
    private final String role;
    private final ClaimSettings settings;
    private final Path lockFile;
    private final Console console;
    private final String thisMachine = MachineId.current();

    /**
     * @param lockFile this machine's lock for creating a box of {@code role} in {@code namespace}: the callers of one
     *                 machine take turns there, so that they need not launch boxes the convergence rule would undo
     */
    public Claims(Cloud cloud, Namespace namespace, String role, ClaimSettings settings, Path lockFile,
                  Console console) {
        this.cloud = cloud;
        this.namespace = namespace;
        this.role = role;
        this.settings = settings;
        this.lockFile = lockFile;
        this.console = console;
    }

    public String role() {
        return role;
    }

    public Namespace namespace() {
        return namespace;
    }

    ClaimSettings settings() {
        return settings;
    }

    Path lockFile() {
        return lockFile;
    }

    Console console() {
        return console;
    }

    Cloud cloud() {
        return cloud;
    }

    String thisMachine() {
        return thisMachine;
    }

    /** The role's boxes as they are now. */
    public RoleClaims read() {
        return new RoleClaims(cloud.describe(MachineFilter.of(namespace, role)), Instant.now(), thisMachine,
                settings.lease());
    }

    /** One box as it is now; empty once it is gone. */
    Optional<BoxClaim> read(String id) {
        return cloud.find(id).map(m -> BoxClaim.of(m, Instant.now(), thisMachine, settings.lease()));
    }

    /** A fresh lease of this process, as the value of {@link Tags#LEASE}. */
    public String newLease() {
        return Lease.ofSelf(Instant.now(), settings.lease()).tagValue();
    }

    /** Starts renewing this process's lease on {@code machineId}. */
    public LeaseKeeper keep(String machineId) {
        return LeaseKeeper.start(cloud, machineId, settings, console);
    }

    /** The tags that hand a box out: ready, nobody's lease. */
    public static Map<String, String> readyTags() {
        return Map.of(Tags.STAGE, Tags.Stage.READY.tagValue(), Tags.LEASE, "");
    }

    /**
     * Gives way if {@code mine}, a box this caller launched, is not the claim that wins.
     *
     * @throws StandDownException naming the box to use instead
     */
    public void check(Machine mine) {
        RoleClaims claims = read();
        Optional<Machine> winner = claims.winnerOver(mine);
        if (winner.isPresent()) {
            String creator = claims.all().stream().filter(c -> c.id().equals(winner.get().id())).findFirst()
                    .map(c -> c.creator(thisMachine)).orElse("another cgrender");
            throw new StandDownException(mine, winner.get(), creator);
        }
    }

    /**
     * The last check before {@code mine} is handed out: made once every launch that may have been claimed before
     * it is visible ({@link ClaimSettings#settle()} after its launch), so that of two creators that saw nothing of
     * each other at first, the younger gives way now at the latest.
     */
    public void finalCheck(Machine mine) {
        Instant settled = mine.launchedAt().plus(settings.settle());
        Duration wait = Duration.between(Instant.now(), settled);
        if (!wait.isNegative() && !wait.isZero()) {
            console.progress().step("waiting " + Math.max(1, wait.toSeconds()) + "s for other cgrenders' boxes of "
                    + role + " to become visible before handing " + mine.id() + " out");
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CgrenderException("interrupted while checking for other boxes of " + role, e);
            }
        }
        check(mine);
    }

    /** Hands back an adopted machine its adopter abandoned: cgrender's tags are removed, the machine left as it is. */
    void handBack(BoxClaim orphan) {
        console.status("box " + orphan.id() + " (" + role + "), an adopted machine, was left "
                + orphan.orphanReason().orElse("") + ": handing it back (cgrender's tags are removed, the machine"
                + " itself is left as it is)");
        cloud.adoption().orElseThrow(() -> new CgrenderException("the " + cloud.name() + " cloud cannot hand back "
                + orphan.id() + ", which it did not adopt")).release(orphan.id());
    }

    /** Takes over an orphan left in {@code imaging}: it was ready before its image was being saved, and is again. */
    void resume(BoxClaim orphan) {
        console.status("box " + orphan.id() + " (" + role + ") was left " + orphan.orphanReason().orElse("")
                + "; it was ready before its image was being saved: marking it ready again");
        cloud.tag(orphan.id(), readyTags());
    }
}
