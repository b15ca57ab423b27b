package io.cgrender.core.claim;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.LockFile;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Wait;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How a caller that wants <em>the</em> box of a role (create without --new, render, run) gets it while any number of
 * other callers want it too, on this machine and others:
 * <ol>
 *   <li>a ready box is used at once;</li>
 *   <li>otherwise the caller takes this machine's lock for the role ({@link Claims}), terminates the orphans it finds
 *       (or, one left imaging, marks it ready again), and uses a box that became ready meanwhile;</li>
 *   <li>if another cgrender is creating a box of the role, the caller waits for that box instead of making one;</li>
 *   <li>otherwise it creates one, whose creation checks the claims ({@link Claims#check}) and gives way
 *       ({@link StandDownException}) to an older claim made on another machine — then the caller waits for that one.
 *   </li>
 * </ol>
 * A box the caller waited for that fails or is orphaned sends it round again, a bounded number of times.
 *
 * @param <T> what the caller makes of the box it gets
 */
public final class Convergence<T> {

    /** What the caller does with the boxes the protocol points it to. */
    public interface Actions<T> {
        /** Uses a ready box (starting it if it is stopped). */
        T reuse(Machine ready);

        /** Creates a box as a converging claim; may throw {@link StandDownException}. */
        T create();

        /** Terminates an orphan. */
        void terminate(Machine orphan);
    }

    private static final int MAX_ROUNDS = 5;
    private static final Duration POLL = Duration.ofSeconds(1);

    private final Claims claims;
    private final Optional<String> primary;
    private final Actions<T> actions;

    public Convergence(Claims claims, Optional<String> primary, Actions<T> actions) {
        this.claims = claims;
        this.primary = primary;
        this.actions = actions;
    }

    public T run() {
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            List<Machine> ready = claims.read().reusable(primary);
            if (!ready.isEmpty()) {
                return actions.reuse(ready.get(0));
            }
            Machine other;
            String creator;
            try (LockFile.Held held = LockFile.acquire(claims.lockFile(), claims.settings().readyTimeout(),
                    claims.console().progress(), Optional.of("creating a box of " + claims.role() + " in "
                            + claims.namespace()))) {
                RoleClaims now = dropOrphans(claims.read());
                ready = now.reusable(primary);
                if (!ready.isEmpty()) {
                    return actions.reuse(ready.get(0));
                }
                Optional<BoxClaim> busy = now.inProgress().stream().findFirst();
                if (busy.isEmpty()) {
                    try {
                        return actions.create();
                    } catch (StandDownException e) {
                        other = e.winner();
                        creator = "another cgrender";
                        claims.console().status(e.getMessage() + "; using it once it is ready");
                    }
                } else {
                    other = busy.get().machine();
                    creator = busy.get().creator(claims.thisMachine());
                    claims.console().status("box " + other.id() + " (" + claims.role()
                            + other.stage().map(s -> ", " + s.tagValue()).orElse("") + ") is being made by " + creator
                            + ": waiting for it instead of creating another");
                }
            }
            Optional<Machine> theirs = awaitReady(other, creator);
            if (theirs.isPresent()) {
                return actions.reuse(theirs.get());
            }
        }
        throw new CgrenderException("gave up after " + MAX_ROUNDS + " rounds: each box of " + claims.role()
                + " that another cgrender was creating in " + claims.namespace() + " failed or was abandoned")
                .see("cgrender list " + Shell.quote(claims.role()));
    }

    /** Terminates the orphans (takes over one left imaging); returns the claims as they are afterwards. */
    private RoleClaims dropOrphans(RoleClaims view) {
        if (view.orphans().isEmpty()) {
            return view;
        }
        for (BoxClaim orphan : view.orphans()) {
            if (orphan.adopted()) {
                claims.handBack(orphan);
            } else if (orphan.resumable()) {
                claims.resume(orphan);
            } else {
                claims.console().status("box " + orphan.id() + " (" + claims.role() + ") was left "
                        + orphan.orphanReason().orElse("") + ": terminating it");
                actions.terminate(orphan.machine());
            }
        }
        return claims.read();
    }

    /**
     * Waits for {@code box}, which {@code creator} is creating, to be ready; empty if it fails, is abandoned or
     * disappears instead.
     */
    private Optional<Machine> awaitReady(Machine box, String creator) {
        String stage = "waiting for box " + box.id() + " (" + claims.role() + "), which " + creator + " is creating,"
                + " to be ready";
        return Wait.until(stage, claims.settings().readyTimeout(), POLL, claims.console().progress(), () -> {
            Optional<BoxClaim> now = claims.read(box.id());
            if (now.isEmpty()) {
                claims.console().status("box " + box.id() + " is gone; looking again");
                return Wait.Poll.ready(Optional.empty());
            }
            BoxClaim claim = now.get();
            return switch (claim.status()) {
                case READY -> claim.machine().state() == MachineState.RUNNING
                        || claim.machine().state() == MachineState.STOPPED
                        ? Wait.Poll.ready(Optional.of(claim.machine()))
                        : Wait.Poll.notYet("ready, " + claim.machine().state().label());
                case IN_PROGRESS -> Wait.Poll.notYet(claim.machine().stage().map(s -> s.tagValue()).orElse("?"));
                case ORPHAN, FAILED, UNKNOWN -> {
                    claims.console().status("box " + box.id() + " " + (claim.status() == BoxClaim.Status.ORPHAN
                            ? "was abandoned (" + claim.orphanReason().orElse("") + ")" : "failed")
                            + "; looking again");
                    yield Wait.Poll.ready(Optional.empty());
                }
            };
        });
    }
}
