package io.cgrender.cli.commands;

import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.delivery.DeliveredJob;
import io.cgrender.core.job.JobBoxes;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.JobStatus;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ssh.RemoteHost;

import java.util.Optional;

/** Reaches the box a recorded job runs on, and asks it how the job is doing. */
final class JobRefresher {

    private final Session session;

    JobRefresher(Session session) {
        this.session = session;
    }

    /** The session to the job's box, or an error saying why there is none and what that makes the job. */
    RemoteHost hostOf(JobRecord job) {
        requireSameCloud(job);
        return new JobBoxes(session.environment()).require(job);
    }

    /**
     * The record with the stage the box reports now, or, once the box is gone, that the results it stored say, or
     * else what the box's state makes the job: lost on a box that is gone or dead, unknown on a stopped one. Saved
     * only when it can no longer change.
     */
    JobRecord refresh(JobRecord job) {
        if (!job.cloud().equals(session.cloud().name())) {
            return job;
        }
        JobBoxes.Reach reach = new JobBoxes(session.environment()).reach(job);
        JobBoxes.Unreachable unreachable;
        if (reach instanceof JobBoxes.Reachable r) {
            try {
                return saved(job.withStatus(RemoteJobs.on(r.host(), session.settings()).status(job.id())));
            } catch (CgrenderException e) {
                unreachable = new JobBoxes.Unreachable(JobStatus.Stage.UNKNOWN, "cannot ask its box " + job.boxId()
                        + ": " + e.getMessage(), false);
            }
        } else {
            unreachable = (JobBoxes.Unreachable) reach;
        }
        Optional<DeliveredJob> delivered = Optional.empty();
        try {
            if (job.location().isPresent()) {
                delivered = session.cloud().delivery().flatMap(d -> d.delivered(job));
            }
        } catch (CgrenderException unreadable) {
            session.console().verbose("cannot read the results of job " + job.id() + ": " + unreadable.getMessage());
        }
        if (delivered.isPresent()) {
            return saved(job.withDelivered(delivered.get()));
        }
        session.console().verbose("job " + job.id() + ": " + unreachable.why());
        JobRecord now = job.withStage(unreachable.stage());
        return unreachable.permanent() ? saved(now) : now;
    }

    private JobRecord saved(JobRecord job) {
        session.jobRecords().save(job);
        return job;
    }

    private void requireSameCloud(JobRecord job) {
        if (!job.cloud().equals(session.cloud().name())) {
            throw new io.cgrender.core.UsageException("job " + job.id() + " ran on the " + job.cloud() + " cloud;"
                    + " add --cloud " + job.cloud());
        }
    }
}
