package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.Json;
import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.box.BoxLifetime;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ui.Durations;
import io.cgrender.core.ui.Wait;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

@Command(name = "extend",
        footer = {"", "Examples:", "  cgrender extend openscad-ubuntu-box 2h", "  cgrender extend l-0123456789ab 1h30m",
                "", "From inside a box: cgrender-box status | extend DURATION | keep | release."},
        description = {"Move the time a running box ends itself at (its max lifetime's end) DURATION later, and print"
                + " the new end.",
                "The box's agent takes it through the cloud (no SSH); an extension reaches at most the box's max"
                        + " lifetime from now. A kept box or one with no expiry has nothing to extend.",
                "Exit 1 when the box's expiry did not move within cgrender.timeouts.ping (30s)."})
public final class ExtendCommand extends AbstractCommand {

    private static final Duration POLL = Duration.ofSeconds(1);

    @Parameters(index = "0", paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Parameters(index = "1", paramLabel = "DURATION",
            description = "How much later, e.g. 2h, 90m, 1h30m, 1d or ISO-8601 PT2H.")
    String duration;

    @Override
    protected int execute(Session session) {
        Duration by = Durations.parsePositive(duration, "how much later the box should end");
        Machine machine = session.resolve(box);
        String id = machine.id();
        if (machine.state() != MachineState.RUNNING) {
            throw new CgrenderException("box " + id + " (" + machine.role() + ") is " + machine.state().label()
                    + ": its agent takes commands only while it runs").fix("cgrender start " + id);
        }
        BoxLifetime lifetime = BoxLifetime.of(machine);
        if (lifetime.kept()) {
            return print(session, machine, lifetime, "box " + id + " is kept (since " + seconds(lifetime.keptSince()
                    .orElseThrow()) + "): it does not end itself until `cgrender-box release` on it; nothing to"
                    + " extend");
        }
        if (lifetime.expiresAt().isEmpty()) {
            return print(session, machine, lifetime, "box " + id + " has no expiry" + lifetime.idleTimeout()
                    .map(d -> ": it ends itself when idle for " + Durations.human(d)).orElse("") + "; nothing to"
                    + " extend");
        }
        Instant before = lifetime.expiresAt().get();
        Instant wanted = lifetime.extendedBy(by, Instant.now()).orElseThrow();
        String cap = lifetime.maxLifetime().map(max -> " (at most its max lifetime, " + Durations.human(max)
                + ", from now)").orElse("");
        if (Duration.between(before, wanted).toSeconds() < 1) {
            return print(session, machine, lifetime, "box " + id + " still ends itself at " + seconds(before)
                    + " at the latest: an extension reaches at most its max lifetime" + lifetime.maxLifetime()
                    .map(max -> " (" + Durations.human(max) + ")").orElse("") + " from now");
        }
        session.agents().send(id, AgentCommand.extend(by));
        Duration timeout = session.settings().timeout("ping");
        Machine moved = Wait.until("waiting for the agent of box " + id + " to move its expiry", timeout, POLL,
                session.console().progress(), () -> {
                    Optional<Machine> now = session.cloud().find(id);
                    if (now.isEmpty() || now.get().state() != MachineState.RUNNING) {
                        throw new CgrenderException("box " + id + " went away while its expiry was being moved")
                                .see("cgrender list");
                    }
                    Optional<Instant> expiry = BoxLifetime.of(now.get()).expiresAt();
                    return expiry.isPresent() && expiry.get().isAfter(before) ? Wait.Poll.ready(now.get())
                            : Wait.Poll.notYet("expiry still " + seconds(before));
                });
        BoxLifetime after = BoxLifetime.of(moved);
        Instant end = after.expiresAt().orElseThrow();
        boolean capped = end.isBefore(before.plus(by).minusSeconds(1));
        return print(session, moved, after, "box " + id + " now ends itself at " + seconds(end) + " at the latest"
                + (capped ? cap : ""));
    }

    private static int print(Session session, Machine machine, BoxLifetime lifetime, String line) {
        if (session.options().json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("box", machine.id());
            json.put("expires_at", lifetime.expiresAt().map(Instant::toString).orElse(null));
            json.put("kept_since", lifetime.keptSince().map(Instant::toString).orElse(null));
            json.put("message", line);
            session.console().out().println(Json.write(json));
        } else {
            session.console().out().println(line);
        }
        return 0;
    }

    private static String seconds(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
