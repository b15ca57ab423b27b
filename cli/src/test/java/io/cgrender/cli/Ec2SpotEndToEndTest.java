package io.cgrender.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A render on a spot box that EC2 reclaims: two parameter sets render side by side, the small one finishes, then the
 * stand-in's instance metadata serves the two-minute interruption notice while the big one still renders. The box
 * stops the render, stores what had finished with a manifest saying it was interrupted, and the client says so; with
 * {@code --rerun-on-interruption} the big one is rendered again on a new on-demand box.
 */
class Ec2SpotEndToEndTest {

    private static final Pattern LOCATION = Pattern.compile("results go to (s3://([^/]+)/(\\S+/))");
    private static final Pattern JOB = Pattern.compile("as job (j-[0-9a-f-]+)");
    /** small renders in a second or two; big in about 20 s with OpenSCAD 2021.01, long enough to be interrupted. */
    private static final String PARAMS = "{\"fileFormatVersion\": \"1\", \"parameterSets\": {"
            + "\"small\": {\"n\": \"3\"}, \"big\": {\"n\": \"24\"}}}";

    private Ec2Cli user;
    private Cli cli;
    private S3Client s3;
    private Path project;

    @BeforeEach
    void start() throws IOException {
        user = new Ec2Cli();
        cli = user.cli;
        // Spot by the role's defaults: the re-run must still get an on-demand box.
        user.configure("cgrender.box.idle-timeout = 20m\ncgrender.roles.openscad-ubuntu-box.spot = true\n");
        s3 = Ec2TestKit.s3(user.moto);
        project = cli.root().resolve("project");
        Files.createDirectories(project);
        Files.copy(Path.of("src/test/resources/models/slow.scad"), project.resolve("slow.scad"));
        Files.writeString(project.resolve("params.json"), PARAMS);
        cli.env().put("PWD", project.toString());
    }

    @AfterEach
    void stop() throws IOException {
        if (user == null) {
            return;
        }
        try {
            for (Instance i : user.live()) {
                cli.run("terminate", i.instanceId(), "--force");
            }
            user.close();
        } finally {
            s3.close();
        }
    }

    @Test
    void aReclaimedSpotBoxStoresWhatFinishedSaysTheJobWasInterruptedAndTheClientExits1() throws Exception {
        Instant reclaim = Instant.now().plus(2, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
        Interrupted run = renderAndReclaim(reclaim, "render", "slow.scad", "-p", "params.json", "--all-sets");
        Cli.Result render = run.result();

        assertEquals(1, render.code(), render.toString());
        assertEquals("slow-small.stl\n", render.out(), "the finished output is written:\n" + render);
        assertTrue(Files.readString(project.resolve("slow-small.stl")).startsWith("solid"));
        assertFalse(Files.exists(project.resolve("slow-big.stl")), "nothing unfinished is written");
        assertTrue(render.err().contains("\nerror: the spot instance " + run.instanceId() + " was reclaimed by EC2 at "
                + reclaim + "; the render of slow.scad [big], slow.scad [small] was interrupted"),
                render.toString());
        assertTrue(render.err().contains("\nfix: render it again, on an on-demand box if EC2 reclaims a spot box again:"
                + " cgrender render slow.scad -p params.json --all-sets --rerun-on-interruption"), render.toString());

        // S3: the finished output, the log and a manifest saying interrupted; one cache entry, the finished one's
        Matcher where = LOCATION.matcher(render.err());
        assertTrue(where.find(), render.toString());
        String bucket = where.group(2);
        String prefix = where.group(3);
        assertEquals(List.of(prefix + "manifest.json", prefix + "render.log", prefix + "slow-small.stl"),
                Ec2TestKit.keys(s3, bucket, prefix));
        Config manifest = json(s3.getObjectAsBytes(r -> r.bucket(bucket).key(prefix + "manifest.json")).asByteArray());
        assertTrue(manifest.getBoolean("interrupted"), manifest.toString());
        assertTrue(render.err().contains(" at $0.00001/h (spot, now)"), "moto's spot price: " + render);
        assertEquals(0.00001, manifest.getDouble("estimated_cost.hourly_usd"), manifest.toString());
        assertTrue(manifest.getString("estimated_cost.basis").startsWith("spot price history (us-east-1"),
                manifest.toString());
        assertEquals(reclaim, Instant.parse(manifest.getString("interrupted_at")));
        assertEquals(List.of("slow-small.stl"), manifest.getConfigList("outputs").stream()
                .map(o -> o.getString("name")).toList());
        List<String> cache = Ec2TestKit.keys(s3, bucket, "_tester_/cache/");
        assertEquals(1, cache.size(), cache.toString());
        String entry = new String(s3.getObjectAsBytes(r -> r.bucket(bucket).key(cache.get(0))).asByteArray(),
                StandardCharsets.UTF_8);
        assertTrue(entry.contains(prefix + "slow-small.stl") && !entry.contains("slow-big"), entry);
        String log = new String(s3.getObjectAsBytes(r -> r.bucket(bucket).key(prefix + "render.log")).asByteArray(),
                StandardCharsets.UTF_8);
        assertTrue(log.contains("cgrender: EC2 reclaims this spot instance at " + reclaim), log);

        // jobs, fetch and logs say interrupted, never running or lost
        String job = jobId(render);
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("interrupted")),
                cli.ok("jobs").out());
        Files.delete(project.resolve("slow-small.stl"));
        Cli.Result fetch = cli.run("fetch", job);
        assertEquals(1, fetch.code(), fetch.toString());
        assertEquals("slow-small.stl\n", fetch.out(), fetch.toString());
        assertTrue(fetch.err().contains("error: the spot instance " + run.instanceId() + " was reclaimed by EC2 at "
                + reclaim), fetch.toString());
        assertTrue(cli.ok("logs", job).out().contains("EC2 reclaims this spot instance"));
    }

    @Test
    void rerunOnInterruptionRendersTheUnfinishedTargetOnANewOnDemandBox() throws Exception {
        Instant reclaim = Instant.now().plus(2, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
        Interrupted run = renderAndReclaim(reclaim, "render", "slow.scad", "-p", "params.json", "--all-sets",
                "--rerun-on-interruption");
        Cli.Result render = run.result();

        assertEquals(0, render.code(), render.toString());
        assertEquals("slow-small.stl\nslow-big.stl\n", render.out(), render.toString());
        assertTrue(Files.readString(project.resolve("slow-big.stl")).startsWith("solid"));
        assertTrue(render.err().contains("rendering slow.scad [big] again on a new on-demand openscad-ubuntu-box"
                + " (--rerun-on-interruption)"), render.toString());
        List<Instance> boxes = user.allInstances();
        assertEquals(2, boxes.size(), boxes.toString());
        Instance reclaimed = user.instance(run.instanceId());
        Instance onDemand = boxes.stream().filter(i -> !i.instanceId().equals(run.instanceId())).findFirst()
                .orElseThrow();
        assertEquals("spot", reclaimed.instanceLifecycleAsString());
        assertNull(onDemand.instanceLifecycle(), "on-demand, although the role's default is spot");
        assertTrue(render.err().contains("as job ") && JOB.matcher(render.err()).results().count() == 2,
                render.toString());
        assertTrue(render.err().contains(" on " + onDemand.instanceId() + " as job "), render.toString());
    }

    /** A render with its outcome, and the spot box it started on. */
    private record Interrupted(Cli.Result result, String instanceId) {
    }

    /**
     * Starts the render in the background, waits until its job on the spot box has finished the small set (and not
     * the big one), then gives the box EC2's interruption notice for {@code reclaim} and waits for the render.
     */
    private Interrupted renderAndReclaim(Instant reclaim, String... args) throws Exception {
        CompletableFuture<Cli.Result> render = CompletableFuture.supplyAsync(() -> cli.run(args));
        String[] box = new String[1];
        boolean smallDone = Poll.until(Duration.ofSeconds(240), () -> {
            if (render.isDone()) {
                return true;
            }
            for (String id : Standins.instanceIds()) {
                if (finishedOutputs(id) == 1) {
                    box[0] = id;
                    return true;
                }
            }
            return false;
        });
        assertTrue(smallDone && box[0] != null, "the small set did not finish alone on a box: "
                + (render.isDone() ? render.get() : "still running"));
        Standins.noticeSpotInterruption(box[0], reclaim);
        return new Interrupted(render.get(240, TimeUnit.SECONDS), box[0]);
    }

    /** How many targets of the box's jobs have exited 0 so far. */
    private static long finishedOutputs(String instanceId) {
        Path jobs = Standins.home(instanceId).map(h -> h.resolve(".cgrender/jobs")).orElse(null);
        if (jobs == null || !Files.isDirectory(jobs)) {
            return 0;
        }
        try (Stream<Path> files = Files.find(jobs, 3, (p, a) -> p.getFileName().toString().endsWith(".exit"))) {
            return files.filter(p -> {
                try {
                    return Files.readString(p).strip().equals("0");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private static String jobId(Cli.Result r) {
        Matcher m = JOB.matcher(r.err());
        assertTrue(m.find(), r.toString());
        return m.group(1);
    }

    private static Config json(byte[] bytes) {
        return ConfigFactory.parseString(new String(bytes, StandardCharsets.UTF_8), ConfigParseOptions.defaults()
                .setSyntax(ConfigSyntax.JSON));
    }
}
