package io.cgrender.core.render;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.delivery.DeliveredJob;
import io.cgrender.core.delivery.DeliveryJob;
import io.cgrender.core.delivery.DeliveryTarget;
import io.cgrender.core.delivery.PreparedDelivery;
import io.cgrender.core.delivery.ResultDelivery;
import io.cgrender.core.job.JobBoxes;
import io.cgrender.core.job.JobFollower;
import io.cgrender.core.job.JobInterruptNotice;
import io.cgrender.core.job.JobIds;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.JobRecords;
import io.cgrender.core.job.JobSpec;
import io.cgrender.core.job.JobStatus;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.job.StartAfterSync;
import io.cgrender.core.os.FileTree;
import io.cgrender.core.price.Pricing;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.sync.FileSync;
import io.cgrender.core.sync.SyncResult;
import io.cgrender.core.sync.SyncRider;
import io.cgrender.core.ui.Console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a {@link RenderPlan}: results the store already has are copied without rendering; for the rest a box of the
 * render role is reused or created, exactly the needed files are synced to it, and one detached job renders them
 * (surviving a dropped connection). While attached, the job's log streams with the user's own file names; when it
 * ends, the outputs are downloaded atomically and filed in the result store.
 * <p>
 * On a cloud with {@link ResultDelivery} (EC2: S3 and SES) the box finishes the job by itself: it stores the outputs,
 * the log and a manifest in the cloud's storage, files the cache entries, mails the user and removes its working
 * files, with or without a client attached. The client then downloads the outputs from the storage, which outlives
 * the box (so {@code --after terminate} need not wait for anyone, and {@code fetch} works once the box is gone); only
 * when the box could not upload does it take them from the box, where they were kept. The render cache is the
 * storage's.
 */
public final class Renderer {

    /**
     * How a render ended. {@code exitCode} is the command's: 0 when every target rendered. {@code interruptions}:
     * the jobs whose box was reclaimed while they ran (1 then).
     */
    public record Outcome(List<String> jobIds, List<Path> written, int exitCode, boolean fromCache,
                          List<Interruption> interruptions) {

        public Outcome {
            interruptions = List.copyOf(interruptions);
        }

        public Outcome(List<String> jobIds, List<Path> written, int exitCode, boolean fromCache) {
            this(jobIds, written, exitCode, fromCache, List.of());
        }
    }

    private final BoxEnvironment env;
    private final Box box;
    private final ResultStore store;
    private final Optional<ResultDelivery> delivery;
    private final JobRecords records;
    private final FileSync sync;
    private final FileHashes hashes;
    private final OpenScadVersions versions;
    private final Path cwd;

    /**
     * @param store    where results are kept when the cloud has no delivery of its own
     * @param delivery the cloud's delivery, if it has one
     */
    public Renderer(BoxEnvironment env, Box box, ResultStore store, Optional<ResultDelivery> delivery,
                    JobRecords records, FileSync sync, FileHashes hashes, OpenScadVersions versions, Path cwd) {
        this.env = env;
        this.box = box;
        this.store = store;
        this.delivery = delivery;
        this.records = records;
        this.sync = sync;
        this.hashes = hashes;
        this.versions = versions;
        this.cwd = cwd;
    }

    /**
     * Renders {@code plan}.
     *
     * @param boxes             spread the targets over this many boxes (one job each)
     * @param detach            return once the jobs run, printing how to follow them
     * @param cancelOnInterrupt on Ctrl-C, cancel the jobs instead of leaving them running
     * @param rerunOnReclaim    render the targets of a job whose box the cloud reclaimed (a spot instance) once more,
     *                          on a new on-demand box of the role
     */
    public Outcome render(RenderPlan plan, int boxes, boolean detach, boolean cancelOnInterrupt,
                          boolean rerunOnReclaim) {
        Optional<DeliveryTarget> target = target(plan.request());
        ResultStore results = target.map(t -> delivery.orElseThrow().store(t)).orElse(store);
        List<Path> written = new ArrayList<>();
        List<RenderPlan.Target> pending = plan.targets();
        Optional<String> assumed = versions.get(env.cloud().name(), box.role());
        if (plan.request().useCache() && assumed.isPresent()) {
            pending = fromStore(plan, pending, assumed.get(), written, results);
        }
        if (pending.isEmpty()) {
            return new Outcome(List.of(), written, 0, true);
        }
        List<Machine> machines = boxes == 1 ? List.of(box.ensure(env, CreateOptions.defaults()).machine())
                : box.ensure(env, Math.min(boxes, pending.size()));
        List<List<RenderPlan.Target>> groups = partition(pending, machines.size());
        List<Started> started = new ArrayList<>();
        for (int i = 0; i < machines.size(); i++) {
            start(plan, groups.get(i), machines.get(i), assumed, written, target, results, cancelOnInterrupt)
                    .ifPresent(started::add);
        }
        List<String> jobIds = new ArrayList<>(started.stream().map(j -> j.record.id()).toList());
        if (started.isEmpty()) {
            return new Outcome(jobIds, written, 0, true);
        }
        if (detach) {
            started.forEach(s -> s.notice().close());
            for (String id : jobIds) {
                env.console().status("detached; follow it with: cgrender logs " + id + " -f; get the results with:"
                        + " cgrender fetch " + id);
            }
            return new Outcome(jobIds, written, 0, false);
        }
        List<Outcome> outcomes = new ArrayList<>(attachAll(started));
        List<Interruption> interrupted = outcomes.stream().flatMap(o -> o.interruptions().stream()).toList();
        if (rerunOnReclaim && !interrupted.isEmpty()) {
            Outcome rerun = rerun(plan, interrupted, assumed, written, target, results, cancelOnInterrupt);
            jobIds.addAll(rerun.jobIds());
            // What the interrupted jobs had finished stays written; the re-run answers for the rest.
            outcomes.replaceAll(o -> o.interruptions().isEmpty() ? o
                    : new Outcome(o.jobIds(), o.written(), 0, o.fromCache()));
            outcomes.add(rerun);
        }
        List<Path> all = new ArrayList<>(written);
        List<Interruption> left = new ArrayList<>();
        int exit = 0;
        for (Outcome o : outcomes) {
            all.addAll(o.written());
            left.addAll(o.interruptions());
            exit = Math.max(exit, o.exitCode());
        }
        return new Outcome(jobIds, all, exit, false, left);
    }

    /**
     * Renders the unfinished targets of jobs whose box was reclaimed once more, on a new on-demand box of the role
     * (never a reclaimed one: it is going away); what the interrupted jobs had finished is already written.
     */
    private Outcome rerun(RenderPlan plan, List<Interruption> interrupted, Optional<String> assumed,
                          List<Path> written, Optional<DeliveryTarget> target, ResultStore results,
                          boolean cancelOnInterrupt) {
        List<RenderPlan.Target> again = new ArrayList<>();
        for (Interruption i : interrupted) {
            env.console().status(i.message());
            again.addAll(i.unfinished());
        }
        if (again.isEmpty()) {
            return new Outcome(List.of(), List.of(), 0, false);
        }
        env.console().status("rendering " + interrupted.get(0).withUnfinished(again).unfinishedTitle()
                + " again on a new on-demand " + box.role() + " (--rerun-on-interruption)");
        Machine onDemand = box.create(env, CreateOptions.defaults().withSpot(false)).get(0);
        Optional<Started> started = start(plan, again, onDemand, assumed, written, target, results,
                cancelOnInterrupt);
        return started.map(this::attach).orElseGet(() -> new Outcome(List.of(), List.of(), 0, true));
    }

    /** A job started on a box, rendering {@code targets}. */
    private record Started(JobRecord record, RemoteHost host, JobInterruptNotice notice,
                           List<RenderPlan.Target> targets) {
    }

    /**
     * What rendering {@code plan} would do, launching nothing: the checks a render makes before it launches (where
     * the results go, mail) and, for each target, whether the result store already has it. Returns one line per
     * target, {@code cache hit: …} or {@code render: …}.
     */
    public List<String> dryRun(RenderPlan plan) {
        ResultStore results = target(plan.request()).map(t -> delivery.orElseThrow().store(t)).orElse(store);
        Optional<String> assumed = versions.get(env.cloud().name(), box.role());
        List<String> lines = new ArrayList<>();
        for (RenderPlan.Target t : plan.targets()) {
            if (!plan.request().useCache()) {
                lines.add("render: " + t.label() + " (--no-cache)");
            } else if (assumed.isEmpty()) {
                lines.add("render: " + t.label() + " (no " + box.role() + " box has rendered on the " + env.cloud()
                        .name() + " cloud yet, so the result store cannot be asked)");
            } else {
                lines.add((stored(plan, t, assumed.get(), results) ? "cache hit: " : "render: ") + t.label());
            }
        }
        return lines;
    }

    /** Whether {@code results} has {@code t}'s result: fetched into a scratch directory, which is removed. */
    private boolean stored(RenderPlan plan, RenderPlan.Target t, String version, ResultStore results) {
        Path scratch = null;
        try {
            Path dir = Files.createTempDirectory("cgrender-dry-run-");
            scratch = dir;
            Map<String, Path> files = new LinkedHashMap<>();
            files.put(OUTPUT, dir.resolve(OUTPUT));
            t.preview().ifPresent(p -> files.put(PREVIEW, dir.resolve(PREVIEW)));
            return results.fetch(plan.cacheKey(t, hashes, box.role(), version), files);
        } catch (IOException e) {
            throw new CgrenderException("cannot ask the result store: " + e.getMessage(), e);
        } finally {
            if (scratch != null) {
                try {
                    FileTree.delete(scratch);
                } catch (IOException ignored) {
                    // a scratch directory left in /tmp is harmless
                }
            }
        }
    }

    /**
     * Where the box delivers the results, checked before anything is launched; empty when the cloud has no delivery
     * (then asking for one is refused, and a configured mail address is ignored with a warning).
     */
    private Optional<DeliveryTarget> target(RenderRequest request) {
        String cloud = env.cloud().name();
        if (delivery.isEmpty()) {
            if (request.results().isPresent()) {
                throw new UsageException("-o " + request.results().get() + ": the " + cloud + " cloud has no storage"
                        + " of its own; give -o a local directory (--cloud ec2 stores results in S3)");
            }
            if (request.email().isPresent()) {
                if (request.emailAsked()) {
                    throw new UsageException("--email: the " + cloud + " cloud cannot send mail; render with"
                            + " --cloud ec2 (Amazon SES) to be mailed");
                }
                env.console().warn("cgrender.notify.email is ignored: the " + cloud + " cloud cannot send mail");
            }
            return Optional.empty();
        }
        return Optional.of(delivery.get().target(request.results(), request.email(), request.after()));
    }

    /**
     * Syncs one group of targets to {@code machine} and starts their job; empty when the store turned out to have
     * them all (the box's OpenSCAD version differed from the one assumed).
     */
    private Optional<Started> start(RenderPlan plan, List<RenderPlan.Target> targets, Machine machine,
                                     Optional<String> assumed, List<Path> written, Optional<DeliveryTarget> target,
                                     ResultStore results, boolean cancelOnInterrupt) {
        RemoteHost host = env.connect(machine);
        try {
            return Optional.of(startOn(host, plan, targets, machine, assumed, target, cancelOnInterrupt));
        } catch (OtherVersion other) {
            // The store may have what this version renders; the sync that found it out left nothing on the box.
            String actual = other.facts.openscadVersion();
            List<RenderPlan.Target> left = fromStore(plan, targets, actual, written, results);
            return left.isEmpty() ? Optional.empty()
                    : Optional.of(startOn(host, plan, left, machine, Optional.of(actual), target, cancelOnInterrupt));
        }
    }

    /**
     * Syncs the targets' files to the box and starts their job, in one command per model (the job starts from the
     * last one's, the box's facts come with the first one's).
     *
     * @throws OtherVersion if the cache is used and the box's OpenSCAD is not {@code assumed}: nothing was started
     */
    private Started startOn(RemoteHost host, RenderPlan plan, List<RenderPlan.Target> targets, Machine machine,
                            Optional<String> assumed, Optional<DeliveryTarget> target, boolean cancelOnInterrupt) {
        RenderPlan work = plan.only(targets);
        String jobId = JobIds.next();
        String jobDir = RemoteJobs.jobDir(jobId);
        RemoteJobs jobs = RemoteJobs.on(host, env.settings());
        BoxFacts.Asked facts = BoxFacts.asked(host.id(), f -> {
            versions.put(env.cloud().name(), box.role(), f.openscadVersion());
            if (plan.request().useCache() && !assumed.equals(Optional.of(f.openscadVersion()))) {
                throw new OtherVersion(f);
            }
        });
        StartAfterSync start = new StartAfterSync(records, jobs,
                () -> job(plan, work, jobId, machine, facts.get(), target));
        List<RenderPlan.ModelInputs> models = work.models();
        jobs.discardOnFailure(jobId, () -> {
            for (int i = 0; i < models.size(); i++) {
                RenderPlan.ModelInputs m = models.get(i);
                SyncRider rider = SyncRider.of(i == 0 ? facts : SyncRider.NONE,
                        i == models.size() - 1 ? start : SyncRider.NONE);
                SyncResult r = sync.sync(host, m.cacheDir(), m.files(), Optional.of(FileSync.Snapshot.linked(
                        m.inputsIn(jobDir), jobDir)), env.settings().timeout("command"), env.console().progress(),
                        rider);
                env.console().verbose("synced " + m.displayName() + " to " + machine.id() + ": " + r.describe());
                r.sentFiles(m.files(), cwd).forEach(f -> env.console().verbose("  sent " + f));
            }
        });
        JobRecord record = start.started();
        JobInterruptNotice notice = JobInterruptNotice.watch(record, jobs, env.console(), cancelOnInterrupt);
        env.console().status("rendering " + record.title() + " on " + machine.id() + " as job " + jobId
                + record.location().map(l -> "; results go to " + l).orElse(""));
        return new Started(record, host, notice, work.targets());
    }

    /** The render job of {@code work} on a box with {@code facts}: its record and what it runs. */
    private StartAfterSync.Job job(RenderPlan plan, RenderPlan work, String jobId, Machine machine, BoxFacts facts,
                                   Optional<DeliveryTarget> target) {
        String jobDir = RemoteJobs.jobDir(jobId);
        List<JobRecord.Output> made = new ArrayList<>();
        for (RenderPlan.Target t : work.targets()) {
            String base = jobDir + "/out/" + t.remoteName();
            // Stored even with --no-cache: a fresh render refreshes the stored result.
            Optional<String> key = Optional.of(plan.cacheKey(t, hashes, box.role(), facts.openscadVersion()));
            made.add(new JobRecord.Output(base + "." + plan.request().format().extension(), t.output(),
                    base + ".exit", key, OUTPUT));
            t.preview().ifPresent(p -> made.add(new JobRecord.Output(base + ".png", p, base + ".exit", key,
                    PREVIEW)));
        }
        List<JobRecord.Output> outputs = made;
        String title = String.join(", ", work.targets().stream().map(RenderPlan.Target::label).toList());
        String script = work.script(jobDir);
        Map<String, String> delivered = Map.of();
        if (target.isPresent()) {
            outputs = DeliveryJobs.named(made);
            DeliveryJob job = DeliveryJobs.of(work, jobId, jobDir, title, script, outputs, hashes, env.namespace(),
                    box.role(), machine.id(), facts.openscadVersion(), cwd);
            PreparedDelivery prepared = delivery.orElseThrow().prepare(target.get(), machine, job);
            prepared.notes().forEach(env.console()::warn);
            script = prepared.script();
            delivered = prepared.record();
        }
        JobRecord record = new JobRecord(jobId, "render", env.cloud().name(), env.namespace().toString(),
                machine.id(), box.role(), title, Instant.now(), JobStatus.Stage.RUNNING, outputs,
                work.pathMap(facts.home(), cwd, jobDir), delivered, Optional.empty(),
                Pricing.forJob(env.cloud().pricing(), machine), Optional.empty());
        return new StartAfterSync.Job(record, new JobSpec(jobId, ".", script, plan.request().after()));
    }

    /** The box's OpenSCAD is not the version a render assumed, with which it looked in the store. */
    private static final class OtherVersion extends RuntimeException {
        final transient BoxFacts facts;

        OtherVersion(BoxFacts facts) {
            super("the box has " + facts.openscadVersion(), null, false, false);
            this.facts = facts;
        }
    }

    /** Follows every job at once (one thread each beyond the first) and collects each when it ends. */
    private List<Outcome> attachAll(List<Started> started) {
        if (started.size() == 1) {
            return List.of(attach(started.get(0)));
        }
        ExecutorService followers = Executors.newFixedThreadPool(started.size(), r -> {
            Thread t = new Thread(r, "cgrender-follow");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Outcome>> futures = new ArrayList<>();
            for (Started s : started) {
                futures.add(followers.submit(() -> attach(s)));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                outcomes.add(f.get());
            }
            return outcomes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while following the render jobs", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r
                    : new CgrenderException(e.getCause().getMessage(), e.getCause());
        } finally {
            followers.shutdownNow();
        }
    }

    /** Deals {@code targets} round-robin into {@code n} groups. */
    static <T> List<List<T>> partition(List<T> targets, int n) {
        List<List<T>> groups = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < targets.size(); i++) {
            groups.get(i % n).add(targets.get(i));
        }
        return groups;
    }

    /** Follows a job this render started, as {@link #attach(JobRecord, RemoteHost, boolean, List)} does. */
    private Outcome attach(Started job) {
        try (JobInterruptNotice notice = job.notice()) {
            RemoteJobs jobs = JobFollower.follow(RemoteJobs.on(job.host(), env.settings()), job.record(),
                    env.console().err(), env.console(), env.settings().timeout("job"),
                    new JobBoxes(env).reconnect(job.record()), notice, bring(job.record()));
            Outcome o = collect(job.record(), jobs.host(), jobs, List.of());
            List<RenderPlan.Target> unfinished = job.targets().stream().filter(t -> !o.written().contains(t.output()))
                    .toList();
            return new Outcome(o.jobIds(), o.written(), o.exitCode(), o.fromCache(),
                    o.interruptions().stream().map(i -> i.withUnfinished(unfinished)).toList());
        }
    }

    /**
     * Follows a job's log until it ends, then downloads its outputs (and its log) and files them in the store. Used
     * right after starting a render, and by {@code cgrender fetch} later.
     */
    public Outcome attach(JobRecord record, RemoteHost host, boolean cancelOnInterrupt, List<Path> alreadyWritten) {
        RemoteJobs jobs = JobFollower.follow(RemoteJobs.on(host, env.settings()), record, env.console().err(),
                env.console(), cancelOnInterrupt, env.settings().timeout("job"), new JobBoxes(env).reconnect(record),
                bring(record));
        return collect(record, jobs.host(), jobs, alreadyWritten);
    }

    /**
     * What the log follow brings back once the job ended, saving a download: the log and, when the results come
     * from the box (no delivery), the outputs.
     */
    private Map<String, Path> bring(JobRecord record) {
        Map<String, Path> bring = new LinkedHashMap<>();
        bring.put(RemoteJobs.jobDir(record.id()) + "/log", records.logFile(record.id()));
        if (record.location().isEmpty()) {
            record.outputs().forEach(o -> bring.put(o.remote(), o.local()));
        }
        return bring;
    }

    /**
     * Takes the job's status and exit codes, then its log and outputs: as the log follow read and brought them when
     * the job ended, or (after a follow that could not) in one command and one SFTP session.
     */
    private Outcome collect(JobRecord started, RemoteHost host, RemoteJobs jobs, List<Path> alreadyWritten) {
        List<String> exitFiles = started.outputs().stream().map(JobRecord.Output::exitFile).distinct().toList();
        RemoteJobs.StatusWithFiles found = jobs.statusWith(started.id(), exitFiles);
        JobStatus status = found.status();
        JobRecord record = started.withStatus(status);
        records.save(record);
        if (!status.stage().ended()) {
            throw new CgrenderException("job " + record.id() + " is still " + status.stage().word() + " on "
                    + record.boxId()).fix("cgrender logs " + record.id() + " -f");
        }
        Path localLog = records.logFile(record.id());
        if (record.location().isPresent()) {
            records.saveLog(record.id(), file -> {
                jobs.download(record.id(), Map.of(RemoteJobs.jobDir(record.id()) + "/log", file));
                return true;
            });
            Optional<DeliveredJob> delivered = deliveryOf(record).delivered(record);
            if (delivered.isPresent()) {
                return fromDelivery(record.withDelivered(delivered.get()), delivered.get(), alreadyWritten);
            }
            env.console().warn(status.detail().orElse("job " + record.id() + " delivered nothing to "
                    + record.location().get()) + "; taking the results from the box instead");
            Outcome fromBox = fromBox(record, jobs, status, found.files(), alreadyWritten, false, localLog);
            return new Outcome(fromBox.jobIds(), fromBox.written(), 1, false);
        }
        return fromBox(record, jobs, status, found.files(), alreadyWritten, true, localLog);
    }

    /**
     * The results of a job whose box delivered them, from the cloud's storage, once the job has ended; empty when
     * nothing was delivered (yet). Needs no box: {@code cgrender fetch} uses it after the box is gone.
     */
    public Optional<Outcome> fromDelivery(JobRecord record) {
        if (record.location().isEmpty()) {
            return Optional.empty();
        }
        Optional<DeliveredJob> delivered = deliveryOf(record).delivered(record);
        if (delivered.isEmpty()) {
            return Optional.empty();
        }
        records.saveLog(record.id(), file -> deliveryOf(record).downloadLog(record, file));
        return Optional.of(fromDelivery(record.withDelivered(delivered.get()), delivered.get(), List.of()));
    }

    private Outcome fromDelivery(JobRecord record, DeliveredJob job, List<Path> alreadyWritten) {
        ResultDelivery d = deliveryOf(record);
        List<Path> written = new ArrayList<>(alreadyWritten);
        boolean allOk = job.exitCode() == 0;
        for (JobRecord.Output o : record.outputs()) {
            if (job.files().containsKey(o.resultName())) {
                d.download(record, job, o.resultName(), o.local());
                written.add(o.local());
            } else {
                allOk = false;
            }
        }
        records.save(d.collected(record, job, env.console()));
        env.console().status(job.summary());
        if (job.interruptedAt().isPresent()) {
            return new Outcome(List.of(record.id()), written, 1, false, List.of(new Interruption(record.id(),
                    record.boxId(), job.interruptedAt().get(), record.title(), List.of())));
        }
        if (!allOk) {
            env.console().status("render failed (exit " + job.exitCode() + "); its log is in "
                    + records.logFile(record.id()) + " and " + job.location());
            return new Outcome(List.of(record.id()), written, 1, false);
        }
        env.console().verbose("render log: " + records.logFile(record.id()));
        return new Outcome(List.of(record.id()), written, 0, false);
    }

    private ResultDelivery deliveryOf(JobRecord record) {
        return delivery.orElseThrow(() -> new UsageException("job " + record.id() + " delivered its results to "
                + record.location().orElse("?") + ", which the " + env.cloud().name() + " cloud cannot read; add"
                + " --cloud " + record.cloud()));
    }

    /**
     * Takes the outputs that were made (by their exit codes, {@code exitCodes}) from the box — with the log, unless the
     * box was to deliver the results and the log is already here — ({@link RemoteJobs#download}) and, when
     * {@code fileInStore}, files them in the store (not when the box was to deliver them and failed: then the job's
     * own stage says nothing about the render).
     */
    private Outcome fromBox(JobRecord record, RemoteJobs jobs, JobStatus status, Map<String, String> exitCodes,
                            List<Path> alreadyWritten, boolean fileInStore, Path localLog) {
        Console console = env.console();
        Map<String, Path> downloads = new LinkedHashMap<>();
        if (fileInStore) {
            downloads.put(RemoteJobs.jobDir(record.id()) + "/log", localLog);
        }
        List<Path> written = new ArrayList<>(alreadyWritten);
        Map<String, Map<String, Path>> toStore = new LinkedHashMap<>();
        boolean allOk = !fileInStore || status.stage() == JobStatus.Stage.SUCCEEDED;
        for (JobRecord.Output o : record.outputs()) {
            if (!"0".equals(exitCodes.get(o.exitFile()))) {
                allOk = false;
                continue;
            }
            downloads.put(o.remote(), o.local());
            written.add(o.local());
            o.cacheKey().ifPresent(k -> toStore.computeIfAbsent(k, x -> new LinkedHashMap<>())
                    .put(o.cacheName(), o.local()));
        }
        // What the log follow brought, and one SFTP session for anything else; the log kept private like every log.
        records.saveLog(record.id(), file -> {
            jobs.download(record.id(), downloads);
            return true;
        });
        if (fileInStore) {
            toStore.forEach(store::put);
        }
        if (!allOk) {
            console.status("render failed (" + status.stage().word() + status.exitCode().map(c -> ", exit " + c)
                    .orElse("") + "); its log is in " + localLog);
            return new Outcome(List.of(record.id()), written, 1, false);
        }
        console.status(record.summary("rendered " + record.title()));
        console.verbose("render log: " + localLog);
        return new Outcome(List.of(record.id()), written, 0, false);
    }

    /** Copies what the store has; returns the targets it did not have. */
    private List<RenderPlan.Target> fromStore(RenderPlan plan, List<RenderPlan.Target> targets, String version,
                                              List<Path> written, ResultStore results) {
        List<RenderPlan.Target> missing = new ArrayList<>();
        for (RenderPlan.Target t : targets) {
            String key = plan.cacheKey(t, hashes, box.role(), version);
            Map<String, Path> files = new LinkedHashMap<>();
            files.put(OUTPUT, t.output());
            t.preview().ifPresent(p -> files.put(PREVIEW, p));
            if (results.fetch(key, files)) {
                env.console().status("cache hit: " + t.label() + " rendered before with the same inputs; copied the"
                        + " stored result (--no-cache renders again)");
                written.addAll(files.values());
            } else {
                missing.add(t);
            }
        }
        return missing;
    }

    static final String OUTPUT = "output";
    static final String PREVIEW = "preview.png";

    /** Remembers, per cloud and role, which OpenSCAD version the boxes have, so the cache can answer before a box. */
    public static final class OpenScadVersions {
        private final Path dir;

        public OpenScadVersions(Path dir) {
            this.dir = dir;
        }

        Optional<String> get(String cloud, String role) {
            try {
                Path file = dir.resolve(cloud + "-" + role);
                return Files.exists(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        void put(String cloud, String role, String version) {
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(cloud + "-" + role), version + "\n");
            } catch (IOException e) {
                // only an optimisation: the next render asks the box again
            }
        }
    }
}
