package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.job.JobFollower;
import io.cgrender.core.job.JobLogWriter;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.JobStatus;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ssh.RemoteHost;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

@Command(name = "logs",
        footer = {"", "Examples:", "  cgrender logs JOB-ID", "  cgrender logs -f JOB-ID"},
        description = {
        "Print a job's log, with box paths shown as your own files.",
        "Read from the box; once the box is gone, from the copy fetched when the job ended, or the one the "
                + "box stored with its results (EC2: in S3)."})
public final class LogsCommand extends AbstractCommand {

    @Parameters(paramLabel = "JOB", description = "The job id (see: cgrender jobs).")
    String job;

    @Option(names = {"-f", "--follow"}, description = "Keep printing until the job ends.")
    boolean follow;

    @Override
    protected int execute(Session session) throws IOException {
        JobRecord record = session.jobRecords().get(job);
        RemoteHost host;
        try {
            host = new JobRefresher(session).hostOf(record);
        } catch (CgrenderException unreachable) {
            Path copy = session.jobRecords().logFile(record.id());
            boolean stored = !follow && record.location().isPresent() && record.cloud().equals(session.cloud().name())
                    && session.cloud().delivery().map(d -> session.jobRecords().saveLog(record.id(),
                    file -> d.downloadLog(record, file))).orElse(false);
            if (follow || !Files.exists(copy)) {
                throw unreachable;
            }
            session.console().status(stored ? "(the box is gone; this is the log it stored in "
                    + record.location().get() + ")" : "(the box is gone; this is the log fetched when the job ended)");
            session.console().out().print(Files.readString(copy));
            session.console().out().flush();
            return 0;
        }
        RemoteJobs jobs = RemoteJobs.on(host, session.settings());
        if (follow) {
            JobFollower.follow(jobs, record, session.console().out(), session.console(), false,
                    session.settings().timeout("job"));
        } else {
            long printed;
            try (JobLogWriter out = new JobLogWriter(session.console().out(), record.pathMap())) {
                jobs.printLog(record.id(), out);
                printed = out.bytes();
            }
            if (printed == 0 && jobs.status(record.id()).stage() == JobStatus.Stage.RUNNING) {
                session.console().status("job " + record.id() + " is still running and has printed nothing yet;"
                        + " follow it with: cgrender logs " + record.id() + " -f");
            }
        }
        return 0;
    }
}
