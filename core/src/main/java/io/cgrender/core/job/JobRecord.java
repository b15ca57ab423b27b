package io.cgrender.core.job;

import io.cgrender.core.delivery.DeliveredJob;
import io.cgrender.core.price.Price;
import io.cgrender.core.ui.Durations;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What this client remembers of a job it started, so that {@code jobs}, {@code logs} and {@code fetch} work from any
 * later process: where it runs, what it is, which outputs to bring back where, and how to show box paths in its log.
 *
 * @param id          the job id
 * @param kind        {@code render} or {@code run}
 * @param cloud       the cloud the box is on
 * @param namespace   the box's namespace
 * @param boxId       the box
 * @param role        the box's role
 * @param title       a short description, e.g. the model names
 * @param createdAt   when the job was started
 * @param stage       the last stage this client saw
 * @param outputs     the files to fetch when the job succeeded
 * @param pathMap     box path prefix → local path prefix, to show logs with the user's own file names
 * @param delivery    where the box delivers the job's results itself and how, as the cloud's
 *                    {@link io.cgrender.core.delivery.ResultDelivery} recorded it (e.g. {@code location} =
 *                    {@code s3://bucket/alice/cube/j-…/}); empty when the client collects the results from the box
 * @param runOutputs  the files a {@code run} job brings back ({@code run --outputs}), and where to
 * @param price       what an hour of the job's box cost when the job started, where the cloud knows it
 * @param ran         how long the job's command ran, once it ended and its box said when it started and ended
 */
public record JobRecord(String id, String kind, String cloud, String namespace, String boxId, String role,
                        String title, Instant createdAt, JobStatus.Stage stage, List<Output> outputs,
                        Map<String, String> pathMap, Map<String, String> delivery, Optional<RunOutputs> runOutputs,
                        Optional<Price> price, Optional<Duration> ran) {

    /** The key of {@link #delivery} naming where the results go, e.g. {@code s3://bucket/alice/cube/j-…/}. */
    public static final String LOCATION = "location";

    public JobRecord {
        outputs = List.copyOf(outputs);
        pathMap = Map.copyOf(new LinkedHashMap<>(pathMap));
        delivery = Map.copyOf(delivery);
    }

    /** A job whose price and duration are not known yet. */
    public JobRecord(String id, String kind, String cloud, String namespace, String boxId, String role, String title,
                     Instant createdAt, JobStatus.Stage stage, List<Output> outputs, Map<String, String> pathMap,
                     Map<String, String> delivery, Optional<RunOutputs> runOutputs) {
        this(id, kind, cloud, namespace, boxId, role, title, createdAt, stage, outputs, pathMap, delivery, runOutputs,
                Optional.empty(), Optional.empty());
    }

    /** A job whose results the box delivers itself ({@code delivery}), or, when that is empty, the client collects. */
    public JobRecord(String id, String kind, String cloud, String namespace, String boxId, String role, String title,
                     Instant createdAt, JobStatus.Stage stage, List<Output> outputs, Map<String, String> pathMap,
                     Map<String, String> delivery) {
        this(id, kind, cloud, namespace, boxId, role, title, createdAt, stage, outputs, pathMap, delivery,
                Optional.empty());
    }

    /** A job whose results the client collects from the box. */
    public JobRecord(String id, String kind, String cloud, String namespace, String boxId, String role, String title,
                     Instant createdAt, JobStatus.Stage stage, List<Output> outputs, Map<String, String> pathMap) {
        this(id, kind, cloud, namespace, boxId, role, title, createdAt, stage, outputs, pathMap, Map.of());
    }

    /** Where the box delivers the results, if it does. */
    public Optional<String> location() {
        return Optional.ofNullable(delivery.get(LOCATION));
    }

    /**
     * One file a job produces.
     *
     * @param remote   its path on the box, relative to the box's home
     * @param local    where it goes here
     * @param exitFile a file on the box holding the exit code of the command that makes it (relative to home);
     *                 the output is fetched only when that code is 0
     * @param cacheKey   the result-store key it is filed under once fetched, if any
     * @param cacheName  its file name within that stored result
     * @param resultName its file name among the job's delivered results (e.g. {@code cube.stl}); "" when the job
     *                   delivers nothing
     */
    public record Output(String remote, Path local, String exitFile, Optional<String> cacheKey, String cacheName,
                         String resultName) {

        public Output(String remote, Path local, String exitFile, Optional<String> cacheKey, String cacheName) {
            this(remote, local, exitFile, cacheKey, cacheName, "");
        }
    }

    public JobRecord withStage(JobStatus.Stage newStage) {
        return new JobRecord(id, kind, cloud, namespace, boxId, role, title, createdAt, newStage, outputs, pathMap,
                delivery, runOutputs, price, ran);
    }

    /** This record with the box's word on the job: its stage and, once it ended, how long it ran. */
    public JobRecord withStatus(JobStatus status) {
        Optional<Duration> took = status.stage().ended() && status.startedAt().isPresent()
                && status.endedAt().isPresent()
                ? Optional.of(Duration.between(status.startedAt().get(), status.endedAt().get())) : ran;
        return new JobRecord(id, kind, cloud, namespace, boxId, role, title, createdAt, status.stage(), outputs,
                pathMap, delivery, runOutputs, price, took);
    }

    /** This record with what its delivered results say: how the job ended and, where known, how long it ran. */
    public JobRecord withDelivered(DeliveredJob job) {
        return new JobRecord(id, kind, cloud, namespace, boxId, role, title, createdAt, job.stage(), outputs, pathMap,
                delivery, runOutputs, price, job.ran().or(() -> ran));
    }

    /** This record with the hourly price of its box. */
    public JobRecord withPrice(Price boxPrice) {
        return new JobRecord(id, kind, cloud, namespace, boxId, role, title, createdAt, stage, outputs, pathMap,
                delivery, runOutputs, Optional.of(boxPrice), ran);
    }

    /**
     * {@code rendered in 3m12s on i-0abc, estimated cost $0.0044 (t3.large at $0.0832/h)}: the line a render ends
     * with, {@code verb} first; the cost only where the box costs something and the duration is known.
     */
    public String summary(String verb) {
        String cost = price.filter(p -> p.usdPerHour().orElse(0.0) > 0).flatMap(p -> cost(Instant.now())
                .map(c -> ", estimated cost " + Price.usd(c) + " (" + p.instanceType() + " at " + p.perHour() + ")"))
                .orElse("");
        return verb + ran.map(d -> " in " + Durations.human(d)).orElse("") + " on " + boxId + cost;
    }

    /**
     * What the job's box time cost: its price × how long it ran, or, while it runs, × the time since it started;
     * empty when the price or (for an ended job) the duration is not known.
     */
    public Optional<Double> cost(Instant now) {
        Optional<Duration> duration = ran.isPresent() ? ran
                : stage == JobStatus.Stage.RUNNING ? Optional.of(Duration.between(createdAt, now)) : Optional.empty();
        return price.flatMap(p -> duration.flatMap(p::costOf));
    }

    /** This record with one more {@link #delivery} entry. */
    public JobRecord withDelivery(String key, String value) {
        Map<String, String> updated = new LinkedHashMap<>(delivery);
        updated.put(key, value);
        return new JobRecord(id, kind, cloud, namespace, boxId, role, title, createdAt, stage, outputs, pathMap,
                updated, runOutputs, price, ran);
    }

    Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("id", id);
        p.setProperty("kind", kind);
        p.setProperty("cloud", cloud);
        p.setProperty("namespace", namespace);
        p.setProperty("box", boxId);
        p.setProperty("role", role);
        p.setProperty("title", title);
        p.setProperty("created", createdAt.toString());
        p.setProperty("stage", stage.word());
        for (int i = 0; i < outputs.size(); i++) {
            Output o = outputs.get(i);
            String prefix = "output." + i;
            p.setProperty(prefix + ".remote", o.remote());
            p.setProperty(prefix + ".local", o.local().toString());
            p.setProperty(prefix + ".exit-file", o.exitFile());
            o.cacheKey().ifPresent(k -> p.setProperty(prefix + ".cache-key", k));
            p.setProperty(prefix + ".cache-name", o.cacheName());
            if (!o.resultName().isEmpty()) {
                p.setProperty(prefix + ".result-name", o.resultName());
            }
        }
        delivery.forEach((k, v) -> p.setProperty("delivery." + k, v));
        runOutputs.ifPresent(r -> {
            p.setProperty("run-outputs.dir", r.dir().toString());
            p.setProperty("run-outputs.into-workdir", Boolean.toString(r.intoWorkdir()));
            for (int g = 0; g < r.globs().globs().size(); g++) {
                p.setProperty("run-outputs.glob." + g, r.globs().globs().get(g));
            }
        });
        price.ifPresent(pr -> {
            p.setProperty("price.instance-type", pr.instanceType());
            p.setProperty("price.region", pr.region());
            pr.usdPerHour().ifPresent(u -> p.setProperty("price.usd-per-hour", Double.toString(u)));
            pr.taken().ifPresent(d -> p.setProperty("price.taken", d.toString()));
            p.setProperty("price.source", pr.source());
        });
        ran.ifPresent(d -> p.setProperty("ran-millis", Long.toString(d.toMillis())));
        int i = 0;
        for (Map.Entry<String, String> e : pathMap.entrySet()) {
            p.setProperty("path." + i + ".box", e.getKey());
            p.setProperty("path." + i + ".local", e.getValue());
            i++;
        }
        return p;
    }

    static JobRecord fromProperties(Properties p) {
        List<Output> outputs = new ArrayList<>();
        for (int i = 0; p.containsKey("output." + i + ".remote"); i++) {
            outputs.add(new Output(p.getProperty("output." + i + ".remote"),
                    Path.of(p.getProperty("output." + i + ".local")),
                    p.getProperty("output." + i + ".exit-file"),
                    Optional.ofNullable(p.getProperty("output." + i + ".cache-key")),
                    p.getProperty("output." + i + ".cache-name", ""),
                    p.getProperty("output." + i + ".result-name", "")));
        }
        Map<String, String> delivery = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("delivery.")) {
                delivery.put(name.substring("delivery.".length()), p.getProperty(name));
            }
        }
        Map<String, String> pathMap = new LinkedHashMap<>();
        for (int i = 0; p.containsKey("path." + i + ".box"); i++) {
            pathMap.put(p.getProperty("path." + i + ".box"), p.getProperty("path." + i + ".local"));
        }
        List<String> globs = new ArrayList<>();
        for (int i = 0; p.containsKey("run-outputs.glob." + i); i++) {
            globs.add(p.getProperty("run-outputs.glob." + i));
        }
        Optional<RunOutputs> runOutputs = globs.isEmpty() || !p.containsKey("run-outputs.dir") ? Optional.empty()
                : Optional.of(new RunOutputs(OutputGlobs.parse(globs), Path.of(p.getProperty("run-outputs.dir")),
                Boolean.parseBoolean(p.getProperty("run-outputs.into-workdir"))));
        JobStatus.Stage stage;
        try {
            stage = JobStatus.Stage.valueOf(p.getProperty("stage", "unknown").toUpperCase());
        } catch (IllegalArgumentException e) {
            stage = JobStatus.Stage.UNKNOWN;
        }
        return new JobRecord(p.getProperty("id"), p.getProperty("kind"), p.getProperty("cloud"),
                p.getProperty("namespace"), p.getProperty("box"), p.getProperty("role"), p.getProperty("title"),
                Instant.parse(p.getProperty("created")), stage, outputs, pathMap, delivery, runOutputs, priceOf(p),
                Optional.ofNullable(p.getProperty("ran-millis")).map(m -> Duration.ofMillis(Long.parseLong(m))));
    }

    private static Optional<Price> priceOf(Properties p) {
        if (!p.containsKey("price.source")) {
            return Optional.empty();
        }
        return Optional.of(new Price(p.getProperty("price.instance-type", ""), p.getProperty("price.region", ""),
                Optional.ofNullable(p.getProperty("price.usd-per-hour")).map(Double::parseDouble),
                Optional.ofNullable(p.getProperty("price.taken")).map(LocalDate::parse),
                p.getProperty("price.source")));
    }
}
