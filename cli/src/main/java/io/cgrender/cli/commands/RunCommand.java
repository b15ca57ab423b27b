package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.job.After;
import io.cgrender.core.job.JobRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

@Command(name = "run",
        footer = {"", "Examples:",
                "  cgrender run openscad-ubuntu-box -- openscad --version",
                "  cgrender run openscad-ubuntu-box --workdir proj -- make"},
        description = {
        "Run a one-off command on a box of ROLE (reused or created) as a detached job; its output streams "
                + "here and its exit code becomes cgrender's.",
        "With --workdir, that directory's files are synced first and the command runs in their copy on the box."})
public final class RunCommand extends AbstractCommand {

    @Parameters(index = "0", paramLabel = "ROLE", description = "The role (see: cgrender list-roles).")
    String role;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "The command, after --.")
    List<String> command = new ArrayList<>();

    @Option(names = "--workdir", paramLabel = "DIR", description = "Sync DIR to the box and run the command in it.")
    Path workdir;

    @Option(names = "--detach", description = "Return once the job runs; print its id.")
    boolean detach;

    @Option(names = "--after", paramLabel = "WHAT", defaultValue = "keep",
            description = "What the box does when the job ends: keep (default), stop or terminate. On EC2 a box"
                    + " cannot stop itself: stop ends it like terminate.")
    String after;

    @Option(names = "--cancel-on-interrupt", description = "On Ctrl-C, cancel the job instead of leaving it running.")
    boolean cancelOnInterrupt;

    @Override
    protected int execute(Session session) {
        List<String> words = !command.isEmpty() && command.get(0).equals("--")
                ? command.subList(1, command.size()) : command;
        After afterJob = After.parse(after);
        JobRunner runner = new JobRunner(session.environment(), session.jobRecords(), session.fileSync());
        return runner.run(session.roles().get(role).newBox(),
                Optional.ofNullable(workdir).map(w -> session.cwd().resolve(w)), words, afterJob, detach,
                cancelOnInterrupt);
    }
}
