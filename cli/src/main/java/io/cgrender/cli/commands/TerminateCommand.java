package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.cloud.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "terminate",
        footer = {"", "Examples:",
                "  cgrender terminate openscad-ubuntu-box",
                "  cgrender terminate openscad-ubuntu-box#-1"},
        description = "Terminate a box: it is gone with its disk, and its host key is forgotten.")
public final class TerminateCommand extends AbstractCommand {

    @Parameters(paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Override
    protected int execute(Session session) {
        Machine machine = session.resolve(box);
        session.environment().terminate(machine);
        session.console().status("terminated " + machine.id() + " (" + machine.role() + ")");
        return 0;
    }
}
