package io.cgrender.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Ends a server process and everything it started: SIGTERM, then SIGKILL, each followed by a bounded wait. */
final class ProcessFamily {

    private ProcessFamily() {
    }

    /** Ends {@code process} and its descendants, waiting at most {@code timeout} after each signal. */
    static void end(Process process, Duration timeout) {
        List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
        family.add(process.toHandle());
        family.forEach(ProcessHandle::destroy);
        if (!awaitGone(family, timeout)) {
            family.forEach(ProcessHandle::destroyForcibly);
            awaitGone(family, timeout);
        }
    }

    /**
     * Polls rather than waiting on {@link ProcessHandle#onExit()}, which for processes that are not our children
     * (a server's sessions and workers) is itself a slow poll.
     */
    private static boolean awaitGone(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(ProcessFamily::isRunning)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Alive and not a zombie: the JDK counts a zombie, which init may reap late, as alive. */
    static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            int end = stat.lastIndexOf(')');
            return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return process.isAlive(); // no /proc: trust the JDK
        }
    }
}
