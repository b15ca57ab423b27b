package io.cgrender.core.claim;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.step.WithdrawnException;

/** A caller's box gives way to {@link #winner()}, an older claim or a ready box of the same role. */
public final class StandDownException extends WithdrawnException {

    private final transient Machine winner;

    public StandDownException(Machine mine, Machine winner, String creator) {
        super("another box of " + mine.role() + " came first: " + winner.id() + " ("
                + winner.stage().map(s -> s.tagValue() + ", ").orElse("") + "made by " + creator + ")");
        this.winner = winner;
    }

    public Machine winner() {
        return winner;
    }
}
