package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.Session;
import io.cgrender.cli.Table;
import io.cgrender.core.box.Roles;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "list-roles",
        footer = {"", "Examples:", "  cgrender list-roles"},
        description = "List the box roles cgrender can create.")
public final class ListRolesCommand extends AbstractCommand {

    @Override
    protected int execute(Session session) {
        Map<String, Roles.RoleInfo> roles = session.roles().all();
        if (session.options().json()) {
            List<Object> out = new ArrayList<>();
            roles.values().forEach(r -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("role", r.name());
                m.put("description", r.description());
                m.put("source", r.source());
                out.add(m);
            });
            session.console().out().println(Json.write(out));
            return 0;
        }
        Table table = new Table("ROLE", "DESCRIPTION", "SOURCE");
        roles.values().forEach(r -> table.row(r.name(), r.description(), r.source()));
        table.print(session.console().out());
        return 0;
    }
}
