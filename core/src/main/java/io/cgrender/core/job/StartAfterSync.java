package io.cgrender.core.job;

import io.cgrender.core.sync.SyncRider;

import java.util.function.Supplier;

/**
 * Starts a job from the command that syncs its inputs, as the sync's {@link SyncRider#last last} script, so that the
 * files and the start cost one command on the box. As with {@link JobRecords#start}, the job is recorded before it
 * starts (here: once the sync is complete and asks for the start script), and a job that did not start is recorded
 * as failed.
 */
public final class StartAfterSync implements SyncRider {

    /** A job to start: its record and what it runs. */
    public record Job(JobRecord record, JobSpec spec) {
    }

    private final JobRecords records;
    private final RemoteJobs jobs;
    private final Supplier<Job> job;
    private Job asked;
    private int exitCode = UNKNOWN;

    /** @param job the job, made when the sync is complete (what the sync learned first is known by then) */
    public StartAfterSync(JobRecords records, RemoteJobs jobs, Supplier<Job> job) {
        this.records = records;
        this.jobs = jobs;
        this.job = job;
    }

    @Override
    public String last() {
        asked = job.get();
        records.save(asked.record());
        return jobs.startScript(asked.spec());
    }

    @Override
    public void lastDone(int exitCode, String printed) {
        this.exitCode = exitCode;
        if (exitCode != 0) {
            records.save(asked.record().withStage(JobStatus.Stage.FAILED));
        }
    }

    /**
     * The record of the job the sync started; an error if the job did not start.
     *
     * @throws IllegalStateException if the sync has not got to starting it
     */
    public JobRecord started() {
        if (asked == null) {
            throw new IllegalStateException("the sync has not started the job");
        }
        if (exitCode != 0) {
            throw jobs.notStarted(asked.spec().id(), exitCode);
        }
        return asked.record();
    }
}
