package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.IdentityOption;
import io.cgrender.cli.Session;
import io.cgrender.cli.SystemSsh;
import io.cgrender.core.UsageException;
import io.cgrender.core.ssh.Shell;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@Command(name = "rsync",
        footer = {"", "Examples:",
                "  cgrender rsync openscad-ubuntu-box -av model/ :model/",
                "  cgrender rsync openscad-ubuntu-box -av :out/ ./out/"},
        description = {
        "Run rsync between here and a box, through ssh with the pinned host key.",
        "In RSYNC-ARGS, a path starting with ':' is on the box, e.g.:",
        "  cgrender rsync openscad-ubuntu-box -av model/ :model/"})
public final class RsyncCommand extends AbstractCommand {

    @Parameters(index = "0", paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Parameters(index = "1..*", paramLabel = "RSYNC-ARGS", description = "rsync's arguments; ':' names the box.")
    List<String> args = new ArrayList<>();

    @Mixin
    IdentityOption identity;

    @Override
    protected Map<String, Object> configOverrides() {
        return identity.overrides(spec);
    }

    @Override
    protected int execute(Session session) {
        identity.check(session);
        if (args.stream().noneMatch(a -> a.startsWith(":"))) {
            throw new UsageException("no path on the box in the rsync arguments; start the box's path with ':'")
                    .fix("cgrender rsync " + Shell.quote(box) + " -av dir/ :dir/");
        }
        SystemSsh ssh = SystemSsh.to(session, session.resolve(box));
        List<String> command = new ArrayList<>(List.of("rsync", "-e", ssh.rsyncShell()));
        for (String arg : args) {
            command.add(arg.startsWith(":") ? ssh.destination() + arg : arg);
        }
        session.console().verbose(String.join(" ", command));
        return SystemSsh.runAttached(command);
    }
}
