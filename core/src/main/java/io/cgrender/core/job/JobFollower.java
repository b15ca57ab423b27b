package io.cgrender.core.job;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Heartbeat;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams a running job's log to the user until the job ends, with a progress line while the log is quiet; a lost
 * connection is taken up again where it stopped. Ctrl-C leaves the job running on the box and says how to reattach,
 * or, when asked, cancels it.
 */
public final class JobFollower {

    private JobFollower() {
    }

    /** A new session to a job's box after the connection to it was lost, or an error saying what became of the job. */
    @FunctionalInterface
    public interface Reconnect {
        RemoteJobs after(CgrenderException lost);

        /** Gives up: the lost connection is the error. */
        Reconnect NEVER = lost -> {
            throw lost;
        };
    }

    /** How often a follow reconnects after losing its connection before it gives up. */
    private static final int RECONNECTS = 3;

    /**
     * Follows {@code record}'s job on {@code jobs}' box, writing its log (with box paths shown as local ones) to
     * {@code out}.
     */
    public static void follow(RemoteJobs jobs, JobRecord record, PrintWriter out, Console console,
                              boolean cancelOnInterrupt, Duration timeout) {
        follow(jobs, record, out, console, cancelOnInterrupt, timeout, Reconnect.NEVER);
    }

    /**
     * Follows the job as {@link #follow(RemoteJobs, JobRecord, PrintWriter, Console, boolean, Duration)} does; when
     * the connection to the box is lost, goes on where it stopped over a new one from {@code reconnect}.
     *
     * @return the job's box as it was when the job ended
     */
    public static RemoteJobs follow(RemoteJobs jobs, JobRecord record, PrintWriter out, Console console,
                                    boolean cancelOnInterrupt, Duration timeout, Reconnect reconnect) {
        return follow(jobs, record, out, console, cancelOnInterrupt, timeout, reconnect, Map.of());
    }

    /**
     * Follows the job as {@link #follow(RemoteJobs, JobRecord, PrintWriter, Console, boolean, Duration, Reconnect)}
     * does, and brings back the files of {@code bring} once it ended ({@link RemoteJobs#follow(String, long,
     * java.io.OutputStream, Duration, List, Map)}).
     */
    public static RemoteJobs follow(RemoteJobs jobs, JobRecord record, PrintWriter out, Console console,
                                    boolean cancelOnInterrupt, Duration timeout, Reconnect reconnect,
                                    Map<String, Path> bring) {
        try (JobInterruptNotice notice = JobInterruptNotice.watch(record, jobs, console, cancelOnInterrupt)) {
            return follow(jobs, record, out, console, timeout, reconnect, notice, bring);
        }
    }

    /**
     * Follows the job as above, with an interrupt {@code notice} its caller registered when the job started; the
     * caller closes it.
     */
    public static RemoteJobs follow(RemoteJobs jobs, JobRecord record, PrintWriter out, Console console,
                                    Duration timeout, Reconnect reconnect, JobInterruptNotice notice) {
        return follow(jobs, record, out, console, timeout, reconnect, notice, Map.of());
    }

    /** Follows as the method above does, and brings back the files of {@code bring} once the job ended. */
    public static RemoteJobs follow(RemoteJobs jobs, JobRecord record, PrintWriter out, Console console,
                                    Duration timeout, Reconnect reconnect, JobInterruptNotice notice,
                                    Map<String, Path> bring) {
        String doing = (record.kind().equals("render") ? "rendering " : "running ") + record.title();
        JobLogWriter log = new JobLogWriter(out, record.pathMap());
        AtomicReference<RemoteJobs> current = new AtomicReference<>(jobs);
        long deadline = System.nanoTime() + timeout.toNanos();
        long offset = 0;
        // What the caller reads once the job ended, read by the follow itself in the same command.
        List<String> exitFiles = record.outputs().stream().map(JobRecord.Output::exitFile).distinct().toList();
        try (Heartbeat ignored = Heartbeat.start(console.progress(), doing, timeout, log::lastLine)) {
            for (int reconnects = 0; ; reconnects++) {
                try {
                    current.get().follow(record.id(), offset, log, Duration.ofNanos(Math.max(0,
                            deadline - System.nanoTime())), exitFiles, bring);
                    return current.get();
                } catch (CgrenderException e) {
                    if (current.get().connected() || reconnects == RECONNECTS) {
                        throw e;
                    }
                    offset = log.bytes();
                    console.status("lost the connection to " + record.boxId() + " while following job "
                            + record.id() + "; connecting again");
                    current.set(reconnect.after(e));
                    notice.reachedThrough(current.get());
                }
            }
        } finally {
            log.close();
        }
    }

    static void interrupted(JobRecord record, RemoteJobs jobs, Console console, boolean cancel) {
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
