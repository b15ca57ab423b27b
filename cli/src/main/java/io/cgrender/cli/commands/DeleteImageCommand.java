package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "delete-image",
        footer = {"", "Examples:", "  cgrender delete-image IMAGE-ID   (ids: cgrender list-images)"},
        description = "Delete an image of the namespace and the storage behind it.")
public final class DeleteImageCommand extends AbstractCommand {

    @Parameters(paramLabel = "IMAGE", description = "The image id (see: cgrender list-images).")
    String image;

    @Override
    protected int execute(Session session) {
        boolean known = session.images().list(session.namespace(), null).stream()
                .anyMatch(i -> i.id().equals(image));
        if (!known) {
            throw new UsageException("no image " + image + " in namespace " + session.namespace())
                    .see("cgrender list-images");
        }
        session.images().delete(image);
        session.console().status("deleted image " + image);
        return 0;
    }
}
