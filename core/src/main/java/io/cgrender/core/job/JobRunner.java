package io.cgrender.core.job;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.docker.DockerRun;
import io.cgrender.core.os.OutputDirectory;
import io.cgrender.core.price.Pricing;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.sync.FileSync;
import io.cgrender.core.sync.SyncFile;
import io.cgrender.core.sync.SyncResult;
import io.cgrender.core.sync.SyncRider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code cgrender run}: a one-off command on a box of any role, as a detached job. The work directory's files, if
 * one is given, are synced to the box first (incrementally) and the command runs in a copy of its own, removed when
 * it ends; its output streams back and its exit code becomes the client's. Files it names with {@code --outputs} are
 * kept on the box when it ends and brought back here ({@link JobOutputs}), then or later with {@code fetch}.
 */
public final class JobRunner {

    private final BoxEnvironment env;
    private final JobRecords records;
    private final FileSync sync;
    private final Path cwd;

    /** @param cwd where the files brought back are shown relative to */
    public JobRunner(BoxEnvironment env, JobRecords records, FileSync sync, Path cwd) {
        this.env = env;
        this.records = records;
        this.sync = sync;
        this.cwd = cwd;
    }

    /**
     * Runs {@code command} (words, quoted for the shell) on the box of {@code box}'s role, reused or created.
     *
     * @param outputs the files to bring back when the job ends, and where to; the job then runs in a work directory
     *                of its own on the box, empty without {@code workdir}
     * @return the command's exit code, or 0 when detached
     */
    public int run(Box box, Optional<Path> workdir, List<String> command, After after, boolean detach,
                   boolean cancelOnInterrupt, Optional<RunOutputs> outputs) {
        return run(box, workdir, command, Optional.empty(), after, detach, cancelOnInterrupt, outputs);
    }

    /**
     * As {@link #run(Box, Optional, List, After, boolean, boolean, Optional)}, in a container of {@code docker}'s
     * image when given ({@code run --docker}): the box's role must have Docker, and the box the image.
     */
    public int run(Box box, Optional<Path> workdir, List<String> command, Optional<DockerRun> docker, After after,
                   boolean detach, boolean cancelOnInterrupt, Optional<RunOutputs> outputs) {
        if (command.isEmpty()) {
            throw new io.cgrender.core.UsageException("no command to run; put it after --, e.g. cgrender run "
                    + box.role() + " -- make all");
        }
        docker.ifPresent(d -> d.requireDockerRole(box));
        workdir.ifPresent(JobRunner::requireDirectory);
        outputs.ifPresent(o -> OutputDirectory.requireWritable(o.dir()));
        Optional<List<SyncFile>> upload = workdir.map(dir -> files(dir.toAbsolutePath().normalize()));
        if (outputs.isPresent() && detach && after != After.KEEP) {
            env.console().warn("--detach --after " + after.word() + ": the box " + (after == After.STOP ? "stops"
                    : "ends") + " itself once the job has ended and no client is attached; the outputs stay on the"
                    + " box until cgrender fetch JOB downloads them" + (after == After.STOP ? " (start it again for"
                    + " that)" : ", so run that before the job ends"));
        }
        Machine machine = box.ensure(env, CreateOptions.defaults()).machine();
        RemoteHost host = env.connect(machine);
        docker.ifPresent(d -> d.requireUsable(host, box.role(), env.console(), env.settings().timeout("command")));
        String jobId = JobIds.next();
        RemoteJobs jobs = RemoteJobs.on(host, env.settings());
        // A container gets a directory of the job's own as /workdir, never the box's home.
        String remoteDir = workdir.isPresent() || outputs.isPresent() || docker.isPresent()
                ? RemoteJobs.inputsDir(jobId) : ".";
        if (docker.isPresent() && workdir.isEmpty() && outputs.isEmpty()) {
            // nothing was synced there, and no outputs make it: an empty directory for the container
            host.exec("mkdir -p \"$HOME\"/" + Shell.quote(remoteDir), env.settings().timeout("command"));
        }
        String script = docker.map(d -> d.script(jobId, command)).orElse(Shell.join(command));
        JobSpec spec = new JobSpec(jobId, remoteDir, script, after, outputs.map(RunOutputs::globs));
        String title = String.join(" ", command);
        Function<Map<String, String>, JobRecord> recordWith = pathMap -> new JobRecord(jobId, "run",
                env.cloud().name(), env.namespace().toString(), machine.id(), box.role(),
                title.length() <= 60 ? title : title.substring(0, 57) + "...", Instant.now(),
                JobStatus.Stage.RUNNING, List.of(), pathMap, Map.of(), outputs, Pricing.forJob(env.cloud().pricing(),
                machine), Optional.empty());
        JobRecord record;
        if (workdir.isPresent()) {
            record = syncAndStart(host, machine, jobs, workdir.get(), upload.get(), spec, recordWith,
                    outputs.isPresent());
        } else {
            record = recordWith.apply(Map.of());
            records.start(record, jobs, spec);
        }
        try (JobInterruptNotice notice = JobInterruptNotice.watch(record, jobs, env.console(), cancelOnInterrupt)) {
            env.console().status("running on " + machine.id() + " as job " + jobId);
            if (detach) {
                env.console().status("detached; follow it with: cgrender logs " + jobId + " -f"
                        + (outputs.isPresent() ? "; get its outputs with: cgrender fetch " + jobId : ""));
                env.console().out().println(jobId);
                return 0;
            }
            RemoteJobs ended = JobFollower.follow(jobs, record, env.console().out(), env.console(),
                    env.settings().timeout("job"), new JobBoxes(env).reconnect(record), notice);
            return collect(record, ended);
        }
    }

    /**
     * Follows a run job until it ends (its output to the console's output), brings back its outputs, and returns its
     * exit code: {@code cgrender fetch} of a run job.
     */
    public int attach(JobRecord record, RemoteHost host) {
        RemoteJobs ended = JobFollower.follow(RemoteJobs.on(host, env.settings()), record, env.console().out(),
                env.console(), false, env.settings().timeout("job"), new JobBoxes(env).reconnect(record));
        return collect(record, ended);
    }

    /**
     * The ended job's exit code, once its outputs are here. Bringing them back failing makes a command that succeeded
     * fail (1); a command that failed keeps its own exit code, and the error is told.
     */
    private int collect(JobRecord record, RemoteJobs jobs) {
        JobStatus status = jobs.status(record.id());
        records.save(record.withStatus(status));
        if (!status.stage().ended()) {
            throw new CgrenderException("job " + record.id() + " is still " + status.stage().word() + " on "
                    + record.boxId()).fix("cgrender logs " + record.id() + " -f");
        }
        int exit = status.exitCode().orElse(1);
        if (record.runOutputs().isEmpty()) {
            return exit;
        }
        try {
            new JobOutputs(jobs.host(), sync.hashes(), env.console(), cwd, env.settings().timeout("command"))
                    .bringBack(record.withStage(status.stage()), record.runOutputs().get(),
                            records.inputs(record.id()));
        } catch (CgrenderException e) {
            if (exit == 0) {
                throw e;
            }
            env.console().status("error: " + e.getMessage());
        }
        return exit;
    }

    /**
     * Syncs {@code given} to its upload cache on the box, copies it into the job's directory (a real copy: the
     * command may write to its files, which other jobs must not see) and starts the job, all in one command on the
     * box; returns the started job's record, made by {@code recordWith} from its box path → local path map.
     *
     * @param keepInputs remember the hashes of the files sent, to bring back only outputs that differ from them
     */
    private JobRecord syncAndStart(RemoteHost host, Machine machine, RemoteJobs jobs, Path given,
                                   List<SyncFile> files, JobSpec spec,
                                   Function<Map<String, String>, JobRecord> recordWith, boolean keepInputs) {
        Path dir = given.toAbsolutePath().normalize();
        String cache = RemoteJobs.WORK_ROOT + "/" + FileHashes.sha256Hex(env.namespace() + "\n" + dir).substring(0, 16);
        String inputs = RemoteJobs.inputsDir(spec.id());
        BoxHome home = new BoxHome();
        StartAfterSync start = new StartAfterSync(records, jobs, () -> {
            if (keepInputs) {
                Map<String, String> sent = new LinkedHashMap<>();
                files.forEach(f -> sent.put(f.remote(), sync.hashes().of(f.local()).sha256()));
                records.saveInputs(spec.id(), sent);
            }
            return new StartAfterSync.Job(recordWith.apply(Map.of(home.path + "/" + inputs + "/", dir + "/")), spec);
        });
        jobs.discardOnFailure(spec.id(), () -> {
            SyncResult r = sync.sync(host, cache, files, Optional.of(FileSync.Snapshot.copied(inputs,
                    RemoteJobs.jobDir(spec.id()))), env.settings().timeout("command"), env.console().progress(),
                    SyncRider.of(home, start));
            env.console().verbose("synced " + dir + " to " + machine.id() + ": " + r.describe());
            r.sentFiles(files, Path.of("")).forEach(f -> env.console().verbose("  sent " + f));
        });
        return start.started();
    }

    /** The box's home directory, asked in the sync's command. */
    private static final class BoxHome implements SyncRider {
        private String path;

        @Override
        public String first() {
            return "echo \"$HOME\"";
        }

        @Override
        public void firstDone(int exitCode, String printed) {
            path = printed.strip();
        }
    }

    private static List<SyncFile> files(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !dir.relativize(p).toString().startsWith(".git/"))
                    .map(p -> SyncFile.of(p, dir.relativize(p).toString().replace('\\', '/')))
                    .toList();
        } catch (IOException e) {
            throw new CgrenderException("cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new io.cgrender.core.UsageException("--workdir " + dir + " is not a directory");
        }
    }
}
