package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.JobStatus;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ui.Wait;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.time.Duration;

@Command(name = "cancel",
        footer = {"", "Examples:", "  cgrender cancel JOB-ID   (ids: cgrender jobs)"},
        description = {
        "Cancel a running job; its box stays.",
        "The job's processes get SIGTERM, and SIGKILL after cgrender.timeouts.kill-grace; the job is then recorded "
                + "as cancelled. A job that has ended already is left as it is."})
public final class CancelCommand extends AbstractCommand {

    private static final Duration POLL = Duration.ofMillis(200);

    @Parameters(paramLabel = "JOB", description = "The job id (see: cgrender jobs).")
    String job;

    @Override
    protected int execute(Session session) {
        JobRefresher refresher = new JobRefresher(session);
        JobRecord record = refresher.refresh(session.jobRecords().get(job));
        if (record.stage().ended()) {
            session.console().status("job " + record.id() + " has ended already (" + record.stage().word()
                    + "); nothing to cancel");
            return 0;
        }
        RemoteJobs jobs = RemoteJobs.on(refresher.hostOf(record), session.settings());
        jobs.cancel(record.id());
        Duration grace = session.settings().duration("cgrender.timeouts.kill-grace");
        JobStatus status = Wait.until("waiting for job " + record.id() + " to end", grace.plus(
                session.settings().timeout("command")), POLL, session.console().progress(), () -> {
                    JobStatus now = jobs.status(record.id());
                    return now.stage().ended() ? Wait.Poll.ready(now) : Wait.Poll.notYet("still running");
                });
        session.jobRecords().save(record.withStatus(status));
        session.console().status("job " + record.id() + " on " + record.boxId() + " is " + status.stage().word());
        return 0;
    }
}
