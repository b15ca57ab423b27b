package io.cgrender.core.job;

import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Interrupts;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What Ctrl-C (or SIGTERM) says about a job this client started or follows: that it goes on and how to reattach, or,
 * when asked, that it was cancelled. Watching starts the moment the job runs, before its id is printed, so that an
 * interrupt right after the id was shown still says so; {@link #close()} ends it (the job ended or was handed on).
 */
public final class JobInterruptNotice implements AutoCloseable {

    private final Thread hook;
    private final AtomicReference<RemoteJobs> jobs;
    private final Interrupts interrupts;

    private JobInterruptNotice(JobRecord record, RemoteJobs jobs, Console console, boolean cancel) {
        this.jobs = new AtomicReference<>(jobs);
        this.interrupts = console.interrupts();
        this.hook = new Thread(() -> JobFollower.interrupted(record, this.jobs.get(), console, cancel),
                "cgrender-job-interrupted");
    }

    /** Starts watching for an interrupt of the job of {@code record}, running on {@code jobs}' box. */
    public static JobInterruptNotice watch(JobRecord record, RemoteJobs jobs, Console console, boolean cancel) {
        JobInterruptNotice notice = new JobInterruptNotice(record, jobs, console, cancel);
        notice.interrupts.add(notice.hook);
        return notice;
    }

    /** The job's box is now reached through {@code reconnected} (a new session after a lost connection). */
    void reachedThrough(RemoteJobs reconnected) {
        jobs.set(reconnected);
    }

    @Override
    public void close() {
        try {
            interrupts.remove(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running and reports the interruption
        }
    }
}
