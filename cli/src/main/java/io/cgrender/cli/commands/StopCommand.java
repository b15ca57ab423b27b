package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.cloud.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "stop",
        footer = {"", "Examples:", "  cgrender stop openscad-ubuntu-box"},
        description = "Stop a box; its disk (and host key) stay until it is terminated.")
public final class StopCommand extends AbstractCommand {

    @Parameters(paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Override
    protected int execute(Session session) {
        Machine machine = session.resolve(box);
        session.ssh().disconnect(machine.id());
        session.cloud().stop(machine.id(), session.settings().timeout("state-change"), session.console().progress());
        session.console().status("stopped " + machine.id() + " (" + machine.role() + ")");
        return 0;
    }
}
