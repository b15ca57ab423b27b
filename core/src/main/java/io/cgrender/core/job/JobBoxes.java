package io.cgrender.core.job;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ssh.RemoteHost;

import java.util.Optional;

/**
 * Reaches the box a recorded job runs on, or says what its absence means for the job. A job can only be running on a
 * running box: on a box that is gone or dead (a crashed machine, or a local box whose host process died, which then
 * runs nothing) it is lost; a stopped or starting box keeps the record of how its jobs ended until it runs again.
 */
public final class JobBoxes {

    private final BoxEnvironment env;

    public JobBoxes(BoxEnvironment env) {
        this.env = env;
    }

    /** Where a job's box is, for the job. */
    public sealed interface Reach {
    }

    /** The box runs and answered: its session. */
    public record Reachable(RemoteHost host) implements Reach {
    }

    /**
     * The box cannot be asked.
     *
     * @param stage     what the job is for now: {@link JobStatus.Stage#LOST} or {@link JobStatus.Stage#UNKNOWN}
     * @param why       e.g. "its box l-3f2a9c0b1d2e is dead (…)"
     * @param permanent whether that can no longer change (the box is gone), so the record may keep it
     */
    public record Unreachable(JobStatus.Stage stage, String why, boolean permanent) implements Reach {
        /** A one-line error for a command that needed the box. */
        public CgrenderException failure(JobRecord job) {
            return new CgrenderException((stage == JobStatus.Stage.LOST ? "job " + job.id() + " is lost: "
                    : "cannot tell how job " + job.id() + " is doing: ") + why);
        }
    }

    /** Reaches the job's box, or says why not and what that makes the job. */
    public Reach reach(JobRecord job) {
        Optional<Machine> box = env.cloud().find(job.boxId());
        if (box.isEmpty() || box.get().state() == MachineState.TERMINATED) {
            return new Unreachable(JobStatus.Stage.LOST, "its box " + job.boxId() + " is gone", true);
        }
        MachineState state = box.get().state();
        return switch (state) {
            case RUNNING -> {
                try {
                    yield new Reachable(env.connect(box.get()));
                } catch (CgrenderException e) {
                    yield new Unreachable(JobStatus.Stage.UNKNOWN, "its box " + job.boxId() + " runs but does not"
                            + " answer (" + e.getMessage() + "); try again later", false);
                }
            }
            case DEAD -> new Unreachable(JobStatus.Stage.LOST, "its box " + job.boxId() + " is dead (it should run"
                    + " but does not answer); start it again (cgrender start " + job.boxId() + ") to see whether the"
                    + " job ended before, or terminate it", false);
            case STOPPED, STOPPING -> new Unreachable(JobStatus.Stage.UNKNOWN, "its box " + job.boxId() + " is "
                    + state.label() + "; start it with: cgrender start " + job.boxId(), false);
            default -> new Unreachable(JobStatus.Stage.UNKNOWN, "its box " + job.boxId() + " is "
                    + state.label() + "; try again once it runs", false);
        };
    }

    /** For {@link JobFollower}: a new session to the job's box, or an error saying what became of the job. */
    public JobFollower.Reconnect reconnect(JobRecord job) {
        return lost -> {
            try {
                return RemoteJobs.on(require(job), env.settings());
            } catch (CgrenderException e) {
                e.addSuppressed(lost);
                throw e;
            }
        };
    }

    /** The session to the job's box, or a one-line error saying what became of the job. */
    public RemoteHost require(JobRecord job) {
        Reach reach = reach(job);
        if (reach instanceof Reachable r) {
            return r.host();
        }
        throw ((Unreachable) reach).failure(job);
    }
}
