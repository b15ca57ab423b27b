package io.cgrender.cli.commands;

import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.delivery.DeliveredJob;
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

    /** The session to the job's box, or an error saying why there is none. */
    RemoteHost hostOf(JobRecord job) {
        if (!job.cloud().equals(session.cloud().name())) {
            throw new io.cgrender.core.UsageException("job " + job.id() + " ran on the " + job.cloud() + " cloud; add"
                    + " --cloud " + job.cloud());
        }
        Optional<Machine> box = session.cloud().find(job.boxId());
        if (box.isEmpty()) {
            throw new CgrenderException("the box " + job.boxId() + " of job " + job.id() + " is gone");
        }
        if (box.get().state() != MachineState.RUNNING) {
            throw new CgrenderException("the box " + job.boxId() + " of job " + job.id() + " is "
                    + box.get().state().label() + (box.get().state() == MachineState.STOPPED
                    ? "; start it with: cgrender start " + job.boxId() : ""));
        }
        return session.environment().connect(box.get());
    }

    /**
     * The record with the stage the box reports now, or, once the box is gone, that the results it stored say;
     * unchanged when neither can be asked.
     */
    JobRecord refresh(JobRecord job) {
        try {
            JobStatus status = RemoteJobs.on(hostOf(job), session.settings()).status(job.id());
            JobRecord updated = job.withStage(status.stage());
            session.jobRecords().save(updated);
            return updated;
        } catch (CgrenderException e) {
            Optional<DeliveredJob> delivered = Optional.empty();
            try {
                if (job.location().isPresent() && job.cloud().equals(session.cloud().name())) {
                    delivered = session.cloud().delivery().flatMap(d -> d.delivered(job));
                }
            } catch (CgrenderException unreadable) {
                e.addSuppressed(unreadable);
            }
            if (delivered.isPresent()) {
                JobRecord updated = job.withStage(delivered.get().exitCode() == 0 ? JobStatus.Stage.SUCCEEDED
                        : JobStatus.Stage.FAILED);
                session.jobRecords().save(updated);
                return updated;
            }
            session.console().verbose("cannot ask about job " + job.id() + ": " + e.getMessage());
            return job;
        }
    }
}
