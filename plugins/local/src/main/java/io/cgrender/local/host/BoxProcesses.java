package io.cgrender.local.host;

import io.cgrender.core.os.ProcessIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The processes running "on" a box: every process the box host starts carries {@code CGRENDER_BOX=<id>} in its
 * environment, and so do their descendants, including detached jobs that left the host's process tree. Stopping
 * or terminating a box ends them all, as stopping a real machine would.
 * <p>
 * Found by reading {@code /proc/<pid>/environ}, which works for the caller's own processes: exactly the ones a box
 * can have started. A process that cleared its environment escapes; that is accepted.
 */
public final class BoxProcesses {

    private BoxProcesses() {
    }

    /** The live processes marked with {@code boxId}, except the caller. */
    public static List<ProcessHandle> of(String boxId) {
        String entry = BoxDir.BOX_ENV + "=" + boxId;
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid == self || !hasEntry(proc.resolve("environ"), entry)) {
                    continue;
                }
                ProcessHandle.of(pid).filter(p -> ProcessIdentity.isRunning(p.pid())).ifPresent(found::add);
            }
        } catch (IOException e) {
            // no /proc: nothing can be found this way
        }
        return found;
    }

    /** Whether process {@code pid} is one of {@code boxId}'s: started by its host, or by what the host started. */
    public static boolean isOf(long pid, String boxId) {
        return hasEntry(Path.of("/proc", Long.toString(pid), "environ"), BoxDir.BOX_ENV + "=" + boxId);
    }

    /**
     * Ends every process of {@code boxId}: SIGTERM, then SIGKILL for those still alive after {@code grace}.
     *
     * @return how many processes were signalled
     */
    public static int killAll(String boxId, Duration grace) {
        List<ProcessHandle> processes = of(boxId);
        if (processes.isEmpty()) {
            return 0;
        }
        processes.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            for (ProcessHandle p : processes) {
                ProcessIdentity.awaitExit(p, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Processes started meanwhile (a shell forking as it dies) are caught by the second look.
        of(boxId).forEach(ProcessHandle::destroyForcibly);
        return processes.size();
    }

    /** Whether the NUL-separated environment in {@code environ} contains the variable {@code entry}. */
    private static boolean hasEntry(Path environ, String entry) {
        try {
            String env = new String(Files.readAllBytes(environ), StandardCharsets.UTF_8);
            for (String variable : env.split("\0")) {
                if (variable.equals(entry)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
