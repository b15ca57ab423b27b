package io.cgrender.core.job;

import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Heartbeat;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * Streams a running job's log to the user until the job ends, with a progress line while the log is quiet. Ctrl-C
 * leaves the job running on the box and says how to reattach, or, when asked, cancels it.
 */
public final class JobFollower {

    private JobFollower() {
    }

    /**
     * Follows {@code record}'s job on {@code jobs}' box, writing its log (with box paths shown as local ones) to
     * {@code out}.
     */
    public static void follow(RemoteJobs jobs, JobRecord record, PrintWriter out, Console console,
                              boolean cancelOnInterrupt, Duration timeout) {
        String doing = (record.kind().equals("render") ? "rendering " : "running ") + record.title();
        JobLogWriter log = new JobLogWriter(out, record.pathMap());
        Thread onInterrupt = new Thread(() -> interrupted(record, jobs, console, cancelOnInterrupt),
                "cgrender-job-interrupted");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try (Heartbeat ignored = Heartbeat.start(console.progress(), doing, timeout, log::lastLine)) {
            jobs.follow(record.id(), 0, log, timeout);
        } finally {
            log.close();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running and reports the interruption
            }
        }
    }

    private static void interrupted(JobRecord record, RemoteJobs jobs, Console console, boolean cancel) {
        if (cancel) {
            try {
                jobs.cancel(record.id());
                console.status("interrupted: cancelled job " + record.id() + " on " + record.boxId());
            } catch (RuntimeException e) {
                console.status("interrupted: could not cancel job " + record.id() + " on " + record.boxId() + ": "
                        + e.getMessage());
            }
            return;
        }
        console.status("interrupted: job " + record.id() + " goes on on " + record.boxId()
                + record.location().map(l -> ", which stores its results in " + l + " by itself").orElse("")
                + "; follow it with: cgrender logs " + record.id() + " -f; get its results with: cgrender fetch "
                + record.id());
    }
}
