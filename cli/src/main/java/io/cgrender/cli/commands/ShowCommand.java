package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.MachineViews;
import io.cgrender.cli.Session;
import io.cgrender.cli.SystemSsh;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ssh.HostKeyFingerprint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

@Command(name = "show",
        footer = {"", "Examples:", "  cgrender show openscad-ubuntu-box"},
        description = "Show one box: state, stage, address, tags, pinned host key, how to reach it.")
public final class ShowCommand extends AbstractCommand {

    @Parameters(paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Override
    protected int execute(Session session) {
        Machine machine = session.resolve(box);
        List<Machine> all = session.cloud().describe(MachineFilter.of(session.namespace()));
        MachineViews views = new MachineViews(all, session.settings().duration("cgrender.claims.lease"),
                session.cloud().pricing());
        Map<String, Object> details = views.json(machine);
        List<String> pinned = session.knownHosts().keysFor(machine.id());
        details.put("host_key_fingerprints", pinned.stream()
                .map(k -> HostKeyFingerprint.ofPublicKeyLine(k).value()).toList());
        if (machine.state() == MachineState.RUNNING) {
            details.put("ssh_command", SystemSsh.to(session, machine).commandLine());
        }
        PrintWriter out = session.console().out();
        if (session.options().json()) {
            out.println(Json.write(details));
            return 0;
        }
        details.forEach((key, value) -> {
            if (value instanceof Map<?, ?> map) {
                out.println(key + ":");
                map.forEach((k, v) -> out.println("  " + k + " = " + v));
            } else if (value instanceof List<?> list) {
                out.println(key + ": " + (list.isEmpty() ? "(none pinned)" : String.join(", ",
                        list.stream().map(Object::toString).toList())));
            } else {
                out.println(key + ": " + (value == null ? "-" : value));
            }
        });
        return 0;
    }
}
