package io.cgrender.core.job;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Detached jobs on one box. A job lives in {@code ~/.cgrender/jobs/<id>/} on the box: {@code command.sh} (what
 * to run), {@code run.sh} (the wrapper), {@code pid} (its process while running, see {@link JobProcess}),
 * {@code running} (a lock run.sh holds while it runs), {@code status}, {@code log}, and {@code in/}, the job's own
 * copy of its inputs (see {@link io.cgrender.core.sync.FileSync}), which the job removes when it ends; a job that
 * brings files back keeps them in {@code out/} (see {@link JobOutputs}). Started under
 * {@code setsid} with every stream redirected, a job survives the SSH session that started it; any later client can
 * follow its log or read its status.
 */
public final class RemoteJobs {

    /**
     * Where jobs' input files are synced to, one directory per project, relative to the box's home: the upload
     * cache each job's own copy of its inputs is taken from.
     */
    public static final String WORK_ROOT = ".cgrender/work";

    /** Where jobs live, relative to the box's home. A live pid in {@code <job>/pid} means the box is busy. */
    public static final String JOBS_DIR = ".cgrender/jobs";

    /**
     * Written by a job that ended with {@code --after stop|terminate} (relative to the box's home): the box's
     * watchdog stops or terminates the box once no job runs and no SSH session is open (the client may still be
     * fetching results).
     */
    public static final String AFTER_JOB_FILE = ".cgrender/after-job";

    /** A file in a job's directory where the job may say more about its end: a line {@code detail=…}. */
    public static final String DETAIL_FILE = "detail";

    /**
     * A file in a job's directory that says the box stopped the job because the box itself is going away (a spot
     * instance the cloud reclaims); its lines are {@code name=value}, e.g. {@code at=…}, when. Such a job ends
     * {@link JobStatus.Stage#INTERRUPTED}, whatever its exit code.
     */
    public static final String INTERRUPTED_FILE = "interrupted";

    private static final String RUN_SCRIPT = loadRunScript();
    /** How long a cancelled job gets between SIGTERM and SIGKILL unless told otherwise. */
    private static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(10);
    /** A job's inputs nobody cleaned up (its start failed) are removed by a later job start after this long. */
    private static final int ABANDONED_INPUTS_MINUTES = 60;

    private final RemoteHost host;
    private final Duration commandTimeout;
    private final Duration killGrace;
    /** What the last follow of each job read once the job had ended, for the next status read: taken once. */
    private final Map<String, Ended> endedAtFollow = new java.util.concurrent.ConcurrentHashMap<>();
    /** The files the last follow of each job brought back once the job had ended, for {@link #download}. */
    private final Map<String, FileFrames> broughtAtFollow = new java.util.concurrent.ConcurrentHashMap<>();

    /** A job's end as a follow read it, with the files it was asked to read too. */
    private record Ended(List<String> files, StatusWithFiles read) {
    }

    public RemoteJobs(RemoteHost host, Duration commandTimeout) {
        this(host, commandTimeout, DEFAULT_KILL_GRACE);
    }

    /** @param killGrace how long jobs this starts get, once cancelled, between SIGTERM and SIGKILL */
    public RemoteJobs(RemoteHost host, Duration commandTimeout, Duration killGrace) {
        this.host = host;
        this.commandTimeout = commandTimeout;
        this.killGrace = killGrace;
    }

    /** The jobs of {@code host}, with the command timeout and kill grace of {@code settings}. */
    public static RemoteJobs on(RemoteHost host, Settings settings) {
        return new RemoteJobs(host, settings.timeout("command"), settings.timeout("kill-grace"));
    }

    /** The box's session. */
    public RemoteHost host() {
        return host;
    }

    /** Whether the session to the box is still open (a follow that failed with it closed lost its connection). */
    public boolean connected() {
        return host.isOpen();
    }

    public static String jobDir(String id) {
        return JOBS_DIR + "/" + id;
    }

    /** The job's own copy of its inputs, relative to the box's home; the job removes it when it ends. */
    public static String inputsDir(String id) {
        return jobDir(id) + "/in";
    }

    /**
     * Writes the job's scripts and starts it detached; returns once the job has recorded that it runs. Also removes
     * the inputs of jobs that ended without removing them (their wrapper was killed, the box went down).
     */
    public void start(JobSpec spec) {
        ExecResult r = host.exec(startScript(spec, "cat > command.sh"), commandTimeout,
                new ByteArrayInputStream(spec.command().getBytes(StandardCharsets.UTF_8)),
                OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
        if (!r.succeeded()) {
            throw notStarted(spec.id(), r.exitCode());
        }
    }

    /**
     * What {@link #start} runs, as a script of its own for another command to run in a subshell of the box's home
     * directory (the job's command is in the script): it exits 0 once the job has recorded that it runs.
     */
    public String startScript(JobSpec spec) {
        return startScript(spec, "printf '%s' " + Shell.quote(spec.command()) + " > command.sh");
    }

    /** The error of a job that did not start: its start script ended with {@code exitCode}. */
    public CgrenderException notStarted(String id, int exitCode) {
        return new CgrenderException("could not start job " + id + " on " + host.id() + " (exit " + exitCode + ")");
    }

    private String startScript(JobSpec spec, String writeCommand) {
        String dir = jobDir(spec.id());
        String q = Shell.quote(dir);
        return JobProcess.SHELL_FUNCTION + "\n" + SWEEP_INPUTS + "\n"
                + "set -e; mkdir -p " + q + "; cd " + q + "; " + writeCommand + "; "
                + "printf '%s' " + Shell.quote(RUN_SCRIPT) + " > run.sh; "
                + spec.outputs().map(o -> "mkdir -p \"$HOME\"/" + Shell.quote(spec.workdir()) + "; printf '%s\\n' "
                        + Shell.quote(o.findRegex()) + " > " + JobOutputs.GLOBS_FILE + "; ").orElse("")
                + "sweep_inputs || true; "
                // run.sh says on descriptor 3 when it has recorded that it runs, and closes it (as it does by ending).
                + "{ setsid nohup bash \"$HOME/" + dir + "/run.sh\" \"$HOME/" + dir + "\" "
                + Shell.quote(spec.workdir()) + " " + spec.after().word() + " " + seconds(killGrace)
                + " 3>&1 > /dev/null 2>&1 < /dev/null & } | { read -r started || true; }; "
                + "[ -f status ] && exit 0; echo 'job did not start' >&2; exit 1";
    }

    /**
     * Runs {@code preparation} (syncing the job's inputs, which copies them into its directory); if it fails, removes
     * the job's directory again, which no job will ever use.
     */
    public void discardOnFailure(String id, Runnable preparation) {
        try {
            preparation.run();
        } catch (RuntimeException e) {
            try {
                host.exec("rm -rf -- " + Shell.quote(jobDir(id)), commandTimeout);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * The job's status as its status file says, {@link JobStatus.Stage#LOST} if it died without ending. A job may add
     * a line {@code detail=…} about its end in {@value #DETAIL_FILE} of its directory.
     */
    public JobStatus status(String id) {
        Ended ended = endedAtFollow.remove(id);
        if (ended != null) {
            return ended.read().status();
        }
        return parseStatus(host.exec(statusCommand(id), commandTimeout).stdout());
    }

    /** A job's status and the contents of some small files, read in one round trip. */
    public record StatusWithFiles(JobStatus status, Map<String, String> files) {
    }

    /**
     * The job's status, as {@link #status}, and the content (stripped) of each of {@code files} (paths relative to
     * the box's home, e.g. the job's exit code files) that exists, in one command.
     */
    public StatusWithFiles statusWith(String id, List<String> files) {
        Ended ended = endedAtFollow.remove(id);
        if (ended != null && ended.files().containsAll(files)) {
            Map<String, String> asked = new LinkedHashMap<>(ended.read().files());
            asked.keySet().retainAll(files);
            return new StatusWithFiles(ended.read().status(), asked);
        }
        return parseStatusWith(host.exec(statusWithCommand(id, files), commandTimeout).stdout());
    }

    /** The command {@link #statusWith} runs: the status, a mark, then a line {@code path<TAB>content} per file. */
    private static String statusWithCommand(String id, List<String> files) {
        StringBuilder cmd = new StringBuilder(statusCommand(id)).append("\ncd \"$HOME\"; echo ")
                .append(Shell.quote(FILES_MARK)).append("; for f in");
        files.forEach(f -> cmd.append(' ').append(Shell.quote(f)));
        cmd.append("; do if [ -f \"$f\" ]; then v=; read -r v 2>/dev/null < \"$f\"; printf '%s\\t%s\\n' \"$f\" \"$v\"; fi;"
                + " done; true");
        return cmd.toString();
    }

    private static StatusWithFiles parseStatusWith(String out) {
        int mark = out.indexOf(FILES_MARK + "\n");
        Map<String, String> contents = new LinkedHashMap<>();
        if (mark >= 0) {
            for (String line : out.substring(mark + FILES_MARK.length() + 1).split("\n")) {
                int tab = line.indexOf('\t');
                if (tab > 0) {
                    contents.put(line.substring(0, tab), line.substring(tab + 1).strip());
                }
            }
        }
        return new StatusWithFiles(parseStatus(mark >= 0 ? out.substring(0, mark) : out), contents);
    }

    private static final String FILES_MARK = "--- cgrender files ---";

    /**
     * {@code sweep_inputs}: removes {@code in/} of every job whose process is gone although it ended without removing
     * it, and of jobs that never recorded a status (their start failed) once they are an hour old.
     */
    private static final String SWEEP_INPUTS = "sweep_inputs() { local d j; for d in \"$HOME/" + JOBS_DIR
            + "\"/*/in; do j=\"${d%/in}\"; [ -d \"$d\" ] && [ \"$j\" != \"$PWD\" ] || continue;"
            + " if [ -f \"$j/status\" ]; then "
            + "job_alive \"$j/" + JobProcess.PID_FILE + "\" && continue; elif [ -z \"$(find \"$d\" -maxdepth 0 -mmin +"
            + ABANDONED_INPUTS_MINUTES + " 2>/dev/null)\" ]; then continue; fi; rm -rf \"$d\"; done; }";

    private static String statusCommand(String id) {
        return JobProcess.SHELL_FUNCTION + "\n" + SHOW + "\nif cd " + Shell.quote(jobDir(id)) + " 2>/dev/null; then "
                + "show status; show " + DETAIL_FILE + "; if [ -f pid ] && ! job_alive pid; then echo dead=1; fi; "
                + "else echo stage=unknown; fi";
    }

    /** {@code show FILE}: prints a small text file as {@code cat} would, without starting a process; nothing if none. */
    private static final String SHOW = "show() { while IFS= read -r l || [ -n \"$l\" ]; do printf '%s\\n' \"$l\";"
            + " done < \"$1\"; } 2>/dev/null";

    static JobStatus parseStatus(String text) {
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        JobStatus.Stage stage;
        try {
            stage = JobStatus.Stage.valueOf(fields.getOrDefault("stage", "unknown").toUpperCase());
        } catch (IllegalArgumentException e) {
            stage = JobStatus.Stage.UNKNOWN;
        }
        if (stage == JobStatus.Stage.RUNNING && fields.containsKey("dead")) {
            stage = JobStatus.Stage.LOST;
        }
        return new JobStatus(stage, integer(fields.get("exit")), instant(fields.get("started")),
                instant(fields.get("ended")), Optional.ofNullable(fields.get("detail")).filter(d -> !d.isEmpty()));
    }

    /**
     * Streams the job's log from byte {@code offset} into {@code out} until the job ends (or at once, if it has),
     * and returns the offset reached.
     * <p>
     * {@code tail --pid=JOB} alone would follow too long: the job's process was orphaned when the command that
     * started it ended, and until init reaps it, it is a zombie that {@code kill -0} still finds — in containers
     * whose init reaps lazily, for up to two seconds after the job ended. So tail watches a watcher instead, a child
     * of this command's shell (which reaps it at once), that waits for the job's {@code running} lock, held by run.sh
     * until it exits; without the lock (no flock on the box) it polls for the job's pid file to go (run.sh removes it
     * after writing the status) or its process to die.
     */
    public long follow(String id, long offset, OutputStream out, Duration timeout) {
        return follow(id, offset, out, timeout, List.of());
    }

    /**
     * Follows as {@link #follow(String, long, OutputStream, Duration)} does and, in the same command once the log
     * ended, reads what {@link #statusWith statusWith(id, files)} would: the next {@link #status} or
     * {@code statusWith} of these files (or fewer) of this job is answered from it, without a round trip of its own.
     */
    public long follow(String id, long offset, OutputStream out, Duration timeout, List<String> files) {
        return follow(id, offset, out, timeout, files, Map.of());
    }

    /**
     * Follows as {@link #follow(String, long, OutputStream, Duration, List)} does and, once the job ended, brings back
     * those of {@code bring} (paths on the box, relative to its home → where each goes here) that exist, in the same
     * command: the next {@link #download} of this job puts them in place instead of downloading them.
     */
    public long follow(String id, long offset, OutputStream out, Duration timeout, List<String> files,
                       Map<String, Path> bring) {
        String q = Shell.quote(jobDir(id));
        String from = "+" + (offset + 1);
        CountingStream counting = new CountingStream(out);
        StringBuilder send = new StringBuilder();
        if (!bring.isEmpty()) {
            send.append("\n").append(FileFrames.SEND).append("\nsend_files");
            bring.keySet().forEach(path -> send.append(' ').append(Shell.quote(path)));
        }
        FileFrames trailer = new FileFrames(bring);
        ExecResult r;
        try {
            r = host.exec(JobProcess.SHELL_FUNCTION + "\ncd " + q + " || exit 3; : >> log; "
                    + "if job_alive pid; then "
                    + "{ [ -f running ] && flock -s running true 2>/dev/null || "
                    + "while job_alive pid; do sleep 0.05; done; } & "
                    + "tail -c " + from + " -s 0.02 --pid=$! -F log 2>/dev/null; "
                    + "else tail -c " + from + " log 2>/dev/null; fi; "
                    + "cd \"$HOME\" && { " + statusWithCommand(id, files) + send + "\n} >&2",
                    timeout, null, counting, trailer);
        } catch (RuntimeException e) {
            trailer.close();
            throw e;
        }
        if (r.exitCode() == 3) {
            trailer.close();
            throw new CgrenderException("no job " + id + " on box " + host.id());
        }
        StatusWithFiles read = parseStatusWith(trailer.text());
        FileFrames before;
        if (read.status().stage().ended()) {
            endedAtFollow.put(id, new Ended(List.copyOf(files), read));
            before = broughtAtFollow.put(id, trailer);
        } else {
            endedAtFollow.remove(id);
            before = broughtAtFollow.remove(id);
            trailer.close();
        }
        if (before != null) {
            before.close();
        }
        return offset + counting.count;
    }

    /**
     * Puts the job's files {@code files} (paths on the box, relative to its home → where each goes here) in place:
     * those the job's last follow brought back for the same place are moved there, the others are downloaded over
     * one SFTP session. What that follow brought and was not asked for here is dropped.
     */
    public void download(String id, Map<String, Path> files) {
        FileFrames brought = broughtAtFollow.remove(id);
        Map<String, Path> rest = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Path> file : files.entrySet()) {
                if (brought == null || !brought.take(file.getKey(), file.getValue())) {
                    rest.put(file.getKey(), file.getValue());
                }
            }
        } catch (IOException e) {
            throw new CgrenderException("cannot put the files of job " + id + " from " + host.id() + " in place: "
                    + e.getMessage(), e);
        } finally {
            if (brought != null) {
                brought.close();
            }
        }
        host.downloadAll(rest);
    }

    /** Writes the job's log as it is now, without waiting for more. */
    public void printLog(String id, OutputStream out) {
        ExecResult r = host.exec("cat " + Shell.quote(jobDir(id)) + "/log", commandTimeout, null, out,
                OutputStream.nullOutputStream());
        if (!r.succeeded()) {
            throw new CgrenderException("no log of job " + id + " on box " + host.id());
        }
    }

    /**
     * Cancels the job and returns at once: its wrapper sends SIGTERM to the command's process group, SIGKILL to what
     * is left of it after the kill grace the job was started with, and records the job as cancelled. Only the job's
     * own process is signalled, never another that got its pid.
     */
    public void cancel(String id) {
        String q = Shell.quote(jobDir(id));
        host.exec(JobProcess.SHELL_FUNCTION + "\ncd " + q + " 2>/dev/null && job_alive pid && read -r pid rest < pid"
                + " && kill -TERM \"$pid\" 2>/dev/null; true", commandTimeout);
    }

    /**
     * The ids of the jobs running on the box now, from any client: those whose recorded process is alive (judged by
     * its pid and start time, as {@link #status} judges it).
     */
    public List<String> running() {
        String out = host.exec(JobProcess.SHELL_FUNCTION + "\nfor j in \"$HOME/" + JOBS_DIR + "\"/*/; do"
                + " [ -f \"$j/pid\" ] && job_alive \"$j/pid\" && basename \"$j\"; done; true", commandTimeout).stdout();
        return out.lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
    }

    /** A duration in seconds as {@code sleep} takes it, to the millisecond. */
    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%d.%03d", d.toSeconds(), d.toMillisPart());
    }

    private static Optional<Integer> integer(String s) {
        try {
            return s == null || s.isEmpty() ? Optional.empty() : Optional.of(Integer.parseInt(s));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> instant(String s) {
        try {
            return s == null || s.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(s));
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String loadRunScript() {
        try (InputStream in = RemoteJobs.class.getResourceAsStream("run.sh")) {
            if (in == null) {
                throw new IllegalStateException("run.sh missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Passes bytes through and counts them. */
    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        private long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
