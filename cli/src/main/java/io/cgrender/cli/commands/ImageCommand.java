package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "image",
        footer = {"", "Examples:", "  cgrender image openscad-ubuntu-box"},
        description = {
        "Save a box as the next image generation of its role.",
        "Prints the image id; 'cgrender recreate ROLE' launches from the newest one without setup."})
public final class ImageCommand extends AbstractCommand {

    @Parameters(paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Override
    protected int execute(Session session) {
        Machine machine = session.resolve(box);
        Image image = session.roles().get(machine.role()).newBox().image(session.environment(), machine);
        session.console().out().println(image.id());
        return 0;
    }
}
