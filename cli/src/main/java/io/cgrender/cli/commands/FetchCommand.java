package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.UsageException;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.render.Renderer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

@Command(name = "fetch", description = {"Reattach to a render job: wait for it to end (showing its log), then",
        "download its results to where the render would have put them. Prints the files written."})
public final class FetchCommand extends AbstractCommand {

    @Parameters(paramLabel = "JOB", description = "The job id (see: cgrender jobs).")
    String job;

    @Override
    protected int execute(Session session) {
        JobRecord record = session.jobRecords().get(job);
        if (!record.kind().equals("render")) {
            throw new UsageException("job " + record.id() + " is a " + record.kind() + " job and has no results to"
                    + " fetch; see its output with: cgrender logs " + record.id());
        }
        Renderer renderer = session.renderer(session.roles().get(record.role()).newBox());
        Renderer.Outcome outcome = renderer.attach(record, new JobRefresher(session).hostOf(record), false,
                List.of());
        for (Path written : outcome.written()) {
            session.console().out().println(RenderCommand.display(session.cwd(), written));
        }
        return outcome.exitCode();
    }
}
