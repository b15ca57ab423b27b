package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.JobRunner;
import io.cgrender.core.render.Renderer;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.ShownPath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

@Command(name = "fetch",
        footer = {"", "Examples:", "  cgrender fetch JOB-ID   (ids: cgrender jobs)"},
        description = {
        "Reattach to a render job: wait for it to end (showing its log), then download its results to where "
                + "the render would have put them.",
        "Prints the files written. A job whose box stored its results (EC2: in S3) is fetched from there, "
                + "also once the box is gone.",
        "A run job started with --outputs: wait for it to end (its output on standard output), then bring back "
                + "the files it kept on its box, as run would have; exits with the command's exit code."})
public final class FetchCommand extends AbstractCommand {

    @Parameters(paramLabel = "JOB", description = "The job id (see: cgrender jobs).")
    String job;

    @Override
    protected int execute(Session session) {
        JobRecord record = session.jobRecords().get(job);
        if (record.kind().equals("run") && record.runOutputs().isPresent()) {
            RemoteHost host = new JobRefresher(session).hostOf(record);
            return new JobRunner(session.environment(), session.jobRecords(), session.fileSync(), session.cwd())
                    .attach(record, host);
        }
        if (!record.kind().equals("render")) {
            throw new UsageException("job " + record.id() + " is a " + record.kind() + " job without --outputs and"
                    + " has no results to fetch").see("cgrender logs " + record.id());
        }
        Renderer renderer = session.renderer(session.roles().get(record.role()).newBox());
        if (record.location().isPresent() && !record.cloud().equals(session.cloud().name())) {
            throw new UsageException("job " + record.id() + " ran on the " + record.cloud() + " cloud; add --cloud "
                    + record.cloud());
        }
        Optional<Renderer.Outcome> delivered = renderer.fromDelivery(record);
        Renderer.Outcome outcome;
        if (delivered.isPresent()) {
            outcome = delivered.get();
        } else {
            RemoteHost host;
            try {
                host = new JobRefresher(session).hostOf(record);
            } catch (CgrenderException unreachable) {
                if (record.location().isEmpty()) {
                    throw unreachable;
                }
                throw new CgrenderException(unreachable.getMessage() + ", and " + record.location().get() + " holds no"
                        + " results of the job (the box could not store them, or never got to)", unreachable);
            }
            outcome = renderer.attach(record, host, false, List.of());
        }
        for (Path written : outcome.written()) {
            session.console().out().println(ShownPath.of(written, session.cwd()));
        }
        if (!outcome.interruptions().isEmpty()) {
            throw RenderCommand.interrupted(outcome).fix("render it again, on an on-demand box if EC2 reclaims a spot"
                    + " box again: cgrender render MODEL.scad… --rerun-on-interruption");
        }
        return outcome.exitCode();
    }
}
