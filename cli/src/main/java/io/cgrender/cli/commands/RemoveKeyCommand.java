package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "remove-key",
        footer = {"", "Examples:", "  cgrender remove-key bob-laptop"},
        description = {"Remove a registered key from the namespace.",
                "Running boxes stop accepting it within a minute; open sessions are not closed."})
public final class RemoveKeyCommand extends AbstractCommand {

    @Parameters(paramLabel = "NAME", description = "The name it was registered under (see: cgrender list-keys).")
    String name;

    @Override
    protected int execute(Session session) {
        if (!session.keys().remove(name)) {
            throw new UsageException("no key named '" + name + "' is registered in " + session.namespace())
                    .see("cgrender list-keys");
        }
        session.console().status("removed " + name);
        KeyChanges.publish(session, "the removal of " + name + " is");
        return 0;
    }
}
