package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "recreate",
        footer = {"", "Examples:", "  cgrender recreate openscad-ubuntu-box"},
        description = "Create a box of ROLE from its newest image, skipping setup.")
public final class RecreateCommand extends AbstractCommand {

    @Parameters(paramLabel = "ROLE", description = "The role (see: cgrender list-images).")
    String role;

    @Option(names = "--keep-on-error", description = "On failure, keep what was created and print its ids.")
    boolean keepOnError;

    @Override
    protected int execute(Session session) {
        Machine machine = session.roles().get(role).newBox().recreate(session.environment(),
                CreateOptions.defaults().withKeepOnError(keepOnError));
        session.console().out().println(machine.id());
        return 0;
    }
}
