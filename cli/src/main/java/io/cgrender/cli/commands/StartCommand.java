package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.cloud.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "start",
        footer = {"", "Examples:", "  cgrender start openscad-ubuntu-box"},
        description = "Start a stopped box and wait until it answers over SSH.")
public final class StartCommand extends AbstractCommand {

    @Parameters(paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Override
    protected int execute(Session session) {
        Machine machine = session.resolve(box);
        session.cloud().start(machine.id(), session.settings().timeout("state-change"), session.console().progress());
        Machine running = session.cloud().awaitRunning(machine.id(), session.settings().timeout("running"),
                session.console().progress());
        session.environment().connect(running);
        session.console().status("started " + running.id() + " (" + running.role() + ") at "
                + running.address().orElse("?"));
        return 0;
    }
}
