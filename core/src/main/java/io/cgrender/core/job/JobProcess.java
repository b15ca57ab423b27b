package io.cgrender.core.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Who a job's process is. run.sh records it in the job's {@value #PID_FILE} file as {@code PID START}: its pid and
 * its start time (field 22 of {@code /proc/<pid>/stat}, clock ticks since boot). A pid alone may name another process
 * once the job's is gone and the pid is reused; with the start time it names one process only. Whatever judges
 * whether a job runs — its status, the follow of its log, cancel, the boxes' idle watchdogs — asks this, in Java here
 * or in bash through {@link #SHELL_FUNCTION}.
 */
public final class JobProcess {

    /** The job's process record, in the job's directory. Present while the job runs. */
    public static final String PID_FILE = "pid";

    /**
     * A bash function, {@code job_alive FILE}: succeeds while the process recorded in {@code FILE} runs (it is not a
     * zombie) and is the one recorded (same start time). A record without both, or with anything but digits, names
     * no job: a pid alone could be any process.
     */
    public static final String SHELL_FUNCTION = "job_alive() { local pid= start= s=; "
            + "read -r pid start 2>/dev/null < \"$1\"; case \"$pid:$start\" in :*|*:|*[!0-9:]*) return 1 ;; esac; "
            + "read -r s 2>/dev/null < \"/proc/$pid/stat\" || return 1; set -- ${s##*) }; "
            + "case \"$1\" in Z|X) return 1 ;; esac; [ \"${20}\" = \"$start\" ]; }";

    private JobProcess() {
    }

    /** Whether the process recorded in {@code pidFile} (a job's pid file on this machine) runs. */
    public static boolean isAlive(Path pidFile) {
        return liveProcess(pidFile).isPresent();
    }

    /**
     * The pid of the process recorded in {@code pidFile}, if it runs and is the one recorded: the file holds a pid
     * and the start time that process has. Anything else — a pid alone, {@code -1}, garbage, a pid now another
     * process's — names no job.
     */
    public static OptionalLong liveProcess(Path pidFile) {
        String[] record;
        try {
            record = Files.readString(pidFile).strip().split("\\s+");
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        if (record.length != 2 || !record[0].matches("[0-9]{1,18}") || !record[1].matches("[0-9]{1,20}")) {
            return OptionalLong.empty();
        }
        long pid = Long.parseLong(record[0]);
        Optional<String[]> stat = stat(pid);
        if (stat.isEmpty() || stat.get().length < 20 || stat.get()[0].equals("Z") || stat.get()[0].equals("X")
                || !stat.get()[19].equals(record[1])) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(pid);
    }

    /** The start time of process {@code pid} as run.sh records it, if the process exists. */
    public static Optional<String> startTime(long pid) {
        return stat(pid).filter(fields -> fields.length >= 20).map(fields -> fields[19]);
    }

    /** The fields of {@code /proc/<pid>/stat} after the command name: the state first, field 22 at index 19. */
    private static Optional<String[]> stat(long pid) {
        try {
            String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = text.lastIndexOf(')');
            if (close < 0 || close + 2 >= text.length()) {
                return Optional.empty();
            }
            return Optional.of(text.substring(close + 2).strip().split(" "));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
