package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.IdentityOption;
import io.cgrender.cli.Session;
import io.cgrender.cli.SystemSsh;
import io.cgrender.cli.WriterOutputStream;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@Command(name = "ssh",
        footer = {"", "Examples:", "  cgrender ssh openscad-ubuntu-box", "  cgrender ssh openscad-ubuntu-box -- df -h"},
        description = {
        "Open a shell on a box (system ssh with the pinned host key), or run CMD there and exit with its code."})
public final class SshCommand extends AbstractCommand {

    @Parameters(index = "0", paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "Command to run (after an optional --).")
    List<String> command = new ArrayList<>();

    @Mixin
    IdentityOption identity;

    @Override
    protected Map<String, Object> configOverrides() {
        return identity.overrides(spec);
    }

    @Override
    protected int execute(Session session) {
        identity.check(session);
        Machine machine = session.resolve(box);
        List<String> words = command.isEmpty() || !command.get(0).equals("--") ? command
                : command.subList(1, command.size());
        if (words.isEmpty()) {
            SystemSsh ssh = SystemSsh.to(session, machine);
            return SystemSsh.runAttached(ssh.command());
        }
        RemoteHost host = session.environment().connect(machine);
        ExecResult result = host.exec(String.join(" ", words), session.settings().timeout("command"),
                session.invocation().in(), new WriterOutputStream(session.console().out()),
                new WriterOutputStream(session.console().err()));
        return result.exitCode();
    }
}
