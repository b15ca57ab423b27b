package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.FreshOption;
import io.cgrender.cli.IdentityOption;
import io.cgrender.cli.Session;
import io.cgrender.core.UsageException;
import io.cgrender.core.docker.DockerImage;
import io.cgrender.core.docker.DockerRun;
import io.cgrender.core.job.After;
import io.cgrender.core.job.JobRunner;
import io.cgrender.core.job.OutputGlobs;
import io.cgrender.core.job.RunOutputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "run",
        footer = {"", "Examples:",
                "  cgrender run openscad-ubuntu-box -- openscad --version",
                "  cgrender run openscad-ubuntu-box --workdir proj -- make",
                "  cgrender run openscad-ubuntu-box --workdir proj --outputs 'build/**' --outputs '*.log' -- make",
                "  cgrender run openscad-ubuntu-box --outputs 'out/**' -o results -- sh -c 'mkdir out; date > out/t'",
                "  cgrender run docker-ubuntu-box --docker ubuntu:24.04 --workdir proj -- make"},
        description = {
        "Run a one-off command on a box of ROLE (reused or created) as a detached job; its output streams "
                + "here and its exit code becomes cgrender's.",
        "With --workdir, that directory's files are synced first and the command runs in their copy on the box.",
        "With --outputs GLOB, the files of that copy the command created or changed and that match GLOB come back "
                + "when the job ends, whatever its exit code (a failed build's partial outputs too): written "
                + "atomically into the work directory (or -o DIR) under their relative paths, each named on standard "
                + "error. Synced inputs the command left unchanged do not come back, symbolic links are never "
                + "followed and what is not a regular file is skipped with a warning. In the work directory a file "
                + "that changed here while the job ran is kept and the job's version written beside it as "
                + "NAME.JOB-ID. The files wait on the box until they are downloaded: after --detach or a lost client, "
                + "cgrender fetch JOB brings them. On EC2 they come back over SSH (not through S3).",
        "With --docker IMAGE (a role with Docker, e.g. docker-ubuntu-box), the command runs in a container of IMAGE "
                + "instead, the job's directory mounted at /workdir as its working directory, as the box's login user "
                + "(so --outputs brings back what it writes there); the container is named cgrender-JOB, removed when "
                + "it ends, and cancel ends it too. An image the box does not have is pulled; where no registry has "
                + "it, load it onto the box first (docker save IMAGE | cgrender ssh BOX -- docker load, or docker "
                + "import)."})
public final class RunCommand extends AbstractCommand {

    @Parameters(index = "0", paramLabel = "ROLE", description = "The role (see: cgrender list-roles).")
    String role;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "The command, after --.")
    List<String> command = new ArrayList<>();

    @Option(names = "--workdir", paramLabel = "DIR", description = "Sync DIR to the box and run the command in it.")
    Path workdir;

    @Option(names = "--outputs", paramLabel = "GLOB", description = "Bring back the files matching GLOB (relative to"
            + " the work directory; * and ? within a name, ** across directories, a directory stands for everything"
            + " in it; quote it) that the command created or changed. Repeatable. Without --workdir the command runs"
            + " in an empty directory of its own.")
    List<String> outputs = new ArrayList<>();

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "Write the files --outputs brings back"
            + " below DIR (default: the --workdir, else the current directory).")
    Path outputDir;

    @Option(names = "--docker", paramLabel = "IMAGE", description = "Run the command in a container of IMAGE (a role"
            + " with Docker only), with the work directory mounted at /workdir.")
    String docker;

    @Option(names = "--detach", description = "Return once the job runs; print its id.")
    boolean detach;

    @Option(names = "--after", paramLabel = "WHAT", defaultValue = "keep",
            description = "What the box does when the job ends: keep (default), stop or terminate, once no client is"
                    + " attached (it waits for the outputs to be downloaded). On EC2 a box cannot stop itself: stop"
                    + " ends it like terminate.")
    String after;

    @Option(names = "--cancel-on-interrupt", description = "On Ctrl-C, cancel the job instead of leaving it running.")
    boolean cancelOnInterrupt;

    @Mixin
    IdentityOption identity;

    @Mixin
    FreshOption fresh;

    @Override
    protected Map<String, Object> configOverrides() {
        Map<String, Object> overrides = new java.util.HashMap<>(identity.overrides(spec));
        overrides.putAll(fresh.overrides());
        return overrides;
    }

    @Override
    protected int execute(Session session) {
        identity.check(session);
        List<String> words = !command.isEmpty() && command.get(0).equals("--")
                ? command.subList(1, command.size()) : command;
        After afterJob = After.parse(after);
        Optional<DockerRun> container = Optional.ofNullable(docker).map(d -> new DockerRun(DockerImage.parse(d)));
        Optional<Path> work = Optional.ofNullable(workdir).map(w -> session.cwd().resolve(w).normalize());
        if (outputDir != null && outputs.isEmpty()) {
            throw new UsageException("-o " + outputDir + " is where --outputs writes the files it brings back; add"
                    + " --outputs GLOB");
        }
        Optional<RunOutputs> brought = Optional.empty();
        if (!outputs.isEmpty()) {
            Path dir = outputDir != null ? session.cwd().resolve(outputDir).normalize()
                    : work.orElse(session.cwd());
            brought = Optional.of(new RunOutputs(OutputGlobs.parse(outputs), dir,
                    work.map(w -> w.toAbsolutePath().equals(dir.toAbsolutePath())).orElse(false)));
        }
        JobRunner runner = new JobRunner(session.environment(), session.jobRecords(), session.fileSync(),
                session.cwd());
        return runner.run(session.roles().get(role).newBox(), work, words, container, afterJob, detach,
                cancelOnInterrupt, brought);
    }
}
