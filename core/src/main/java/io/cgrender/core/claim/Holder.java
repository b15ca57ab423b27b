package io.cgrender.core.claim;

import io.cgrender.core.os.MachineId;
import io.cgrender.core.os.ProcessIdentity;

import java.time.Instant;
import java.util.Optional;

/**
 * Who holds a {@link Lease}: a cgrender process, named by the machine it runs on ({@link MachineId}) and its process
 * identity (pid and start time), so that a reader on the same machine can tell at once whether it still lives.
 *
 * @param machine   the holder's {@link MachineId}
 * @param pid       its process id
 * @param startedAt when that process started (a recycled pid has another start time)
 */
public record Holder(String machine, long pid, Instant startedAt) {

    /** This process. */
    public static Holder self() {
        ProcessIdentity me = ProcessIdentity.current();
        return new Holder(MachineId.current(), me.pid(), me.startedAt());
    }

    /** {@code machine/pid/start-millis}, e.g. {@code 3f2a9c0b1d2e/12345/1733329930120}. */
    String tagValue() {
        return machine + "/" + pid + "/" + startedAt.toEpochMilli();
    }

    static Optional<Holder> parse(String text) {
        String[] parts = text.split("/");
        if (parts.length != 3 || !parts[0].matches("[0-9a-f]{1,64}")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Holder(parts[0], Long.parseLong(parts[1]),
                    Instant.ofEpochMilli(Long.parseLong(parts[2]))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether the holder runs on {@code thisMachine}, where its liveness can be checked by process identity. */
    boolean runsOn(String thisMachine) {
        return machine.equals(thisMachine);
    }

    /** Whether the holding process still runs; meaningful only on the holder's own machine. */
    boolean isAlive() {
        return new ProcessIdentity(pid, startedAt).isAlive();
    }

    /** For messages: "pid 123 on this machine" or "a cgrender on machine 3f2a9c0b1d2e". */
    String describe(String thisMachine) {
        return runsOn(thisMachine) ? "pid " + pid + " on this machine" : "a cgrender on machine " + machine;
    }
}
