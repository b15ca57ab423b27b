package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.Json;
import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ui.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

@Command(name = "ping",
        footer = {"", "Examples:", "  cgrender ping openscad-ubuntu-box", "  cgrender ping l-0123456789ab"},
        description = {"Ping a box's agent through the cloud (no SSH) and print the round trip.",
                "Exit 1 when it does not answer within cgrender.timeouts.ping (30s)."})
public final class PingCommand extends AbstractCommand {

    @Parameters(paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Override
    protected int execute(Session session) {
        BoxAgents agents = session.agents();
        Machine machine = session.resolve(box);
        Duration timeout = session.settings().timeout("ping");
        Optional<Duration> roundTrip = agents.ping(machine.id(), timeout, session.console().progress());
        if (roundTrip.isEmpty()) {
            throw new CgrenderException("the agent of box " + machine.id() + " (" + machine.role() + ") did not"
                    + " answer within " + Durations.human(timeout) + ": it is not running, or the box is going away")
                    .see("cgrender show " + machine.id());
        }
        long millis = roundTrip.get().toMillis();
        if (session.options().json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("box", machine.id());
            json.put("round_trip_ms", millis);
            session.console().out().println(Json.write(json));
        } else {
            session.console().out().println(machine.id() + " answered in " + millis + " ms");
        }
        return 0;
    }
}
