package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.MachineViews;
import io.cgrender.cli.Session;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "list",
        footer = {"", "Examples:", "  cgrender list", "  cgrender -n /team/ list openscad-ubuntu-box"},
        description = "List the boxes of the namespace (terminated ones excluded).")
public final class ListCommand extends AbstractCommand {

    @Parameters(paramLabel = "ROLE", arity = "0..1", description = "Only boxes of this role.")
    String role;

    @Override
    protected int execute(Session session) {
        List<Machine> all = session.cloud().describe(MachineFilter.of(session.namespace()));
        List<Machine> shown = role == null ? all : all.stream().filter(m -> m.role().equals(role)).toList();
        MachineViews views = new MachineViews(all, session.settings().duration("cgrender.claims.lease"),
                session.cloud().pricing());
        if (session.options().json()) {
            session.console().out().println(Json.write(shown.stream().map(views::json).toList()));
        } else {
            views.table(shown).print(session.console().out(), session.invocation().terminal());
            if (shown.isEmpty()) {
                session.console().status("no boxes" + (role == null ? "" : " of " + role) + " in "
                        + session.namespace() + "; make one with: cgrender create " + (role == null
                        ? "ROLE (see: cgrender list-roles)" : role));
            }
        }
        return 0;
    }
}
