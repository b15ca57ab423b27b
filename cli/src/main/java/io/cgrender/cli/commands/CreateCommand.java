package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Optional;

@Command(name = "create", description = {
        "Create a box of ROLE, or reuse the ready box of that role in the namespace.",
        "Prints the box id(s) on standard output."})
public final class CreateCommand extends AbstractCommand {

    @Parameters(paramLabel = "ROLE", description = "The role, e.g. openscad-ubuntu-box (see: cgrender list-roles).")
    String role;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
            description = "Create N new boxes (all or none). Implies --new.")
    int count;

    @Option(names = "--new", description = "Always create a new box, even if one of the role is ready.")
    boolean alwaysNew;

    @Option(names = "--spot", description = "Use spot capacity where the cloud has it.")
    boolean spot;

    @Option(names = "--instance-type", paramLabel = "TYPE", description = "Instance type instead of the role's.")
    String instanceType;

    @Option(names = "--image", description = "Save an image of the box once it is set up.")
    boolean saveImage;

    @Option(names = "--keep-on-error", description = "On failure, keep what was created and print its ids.")
    boolean keepOnError;

    @Override
    protected int execute(Session session) {
        if (count < 1) {
            throw new io.cgrender.core.UsageException("--count must be at least 1, not " + count);
        }
        Box box = session.roles().get(role).newBox();
        CreateOptions options = new CreateOptions(count, keepOnError, Optional.ofNullable(instanceType), spot,
                Optional.empty(), saveImage);
        if (!alwaysNew && count == 1 && !saveImage) {
            Box.Ensured ensured = box.ensure(session.environment(), options);
            if (ensured.reused()) {
                session.console().status("reusing ready box " + ensured.machine().id() + " (" + role
                        + "); pass --new for another one");
            }
            session.console().out().println(ensured.machine().id());
            return 0;
        }
        List<Machine> created = box.create(session.environment(), options);
        created.forEach(m -> session.console().out().println(m.id()));
        return 0;
    }
}
