package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.Session;
import io.cgrender.cli.Table;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Roles;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

@Command(name = "list-roles",
        footer = {"", "Examples:", "  cgrender list-roles"},
        description = {"List the box roles cgrender can create: name, operating system, description and where the role"
                + " comes from (built-in, or a plugin's jar).",
                "The operating system decides the cloud image and the login user; a local box is this machine, so the"
                + " local cloud runs only the roles of this machine's package manager (apt or dnf)."})
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
                machine(r).ifPresent(spec -> {
                    m.put("os", spec.os().name());
                    m.put("package_manager", spec.os().packageManager().name().toLowerCase(Locale.ROOT));
                    m.put("login_user", spec.adminUser());
                });
                m.put("source", r.source());
                out.add(m);
            });
            session.console().out().println(Json.write(out));
            return 0;
        }
        Table table = new Table("ROLE", "OS", "DESCRIPTION", "SOURCE");
        roles.values().forEach(r -> table.row(r.name(), machine(r).map(m -> m.os().displayName()).orElse("?"),
                r.description(), r.source()));
        table.print(session.console().out(), session.invocation().terminal());
        return 0;
    }

    /** What the role needs of a machine; empty for a role whose class cannot be made (create says why). */
    private static Optional<MachineSpec> machine(Roles.RoleInfo role) {
        try {
            return Optional.of(role.newBox().machineSpec());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
