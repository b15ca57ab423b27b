package io.cgrender.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.FreePort;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cgrender --cloud ec2} as a user runs it, against moto with a real sshd stand-in for each instance: the only
 * thing substituted is how an instance is reached ({@code cgrender.ec2.access = moto-standins}); tags, waiters, user
 * data, key pairs, security groups, images and host-key verification are the real code paths.
 */
class Ec2EndToEndTest {

    private static final Path EXAMPLES = Path.of("../examples/models").toAbsolutePath().normalize();

    private Ec2Cli user;
    private MotoServer moto;
    private Cli cli;
    private Ec2Client ec2;

    @BeforeEach
    void start() throws IOException {
        user = new Ec2Cli();
        moto = user.moto;
        cli = user.cli;
        ec2 = user.ec2;
        user.configure("cgrender.box.idle-timeout = 20m\n");
    }

    @AfterEach
    void stop() throws IOException {
        if (user != null) {
            user.close();
        }
    }

    @Test
    void openscadBoxCreatedTwiceIsOneInstanceThatRendersAModel() throws IOException {
        Cli.Result first = cli.ok("create", "openscad-ubuntu-box");
        String id = first.out().strip();
        assertTrue(id.matches("i-[0-9a-f]{17}"), first.toString());
        assertTrue(first.err().contains("launched box " + id + " (openscad-ubuntu-box) on the ec2 cloud"),
                first.toString());
        assertTrue(first.err().contains("ready to render with OpenSCAD version"), first.toString());
        assertTrue(first.err().contains("launching c6i.large in us-east-1 at $0.085/h; it ends itself after 20m idle"
                + " or 8h at most (≤ $0.68)"), first.toString());

        Cli.Result second = cli.ok("create", "openscad-ubuntu-box");
        assertEquals(id, second.out().strip(), "the ready box is reused");
        assertTrue(second.err().contains("reusing ready box " + id), second.toString());
        assertFalse(second.err().contains("launching"), "no price line without a launch: " + second);
        assertEquals(List.of(id), live().stream().map(Instance::instanceId).toList(), "one instance in EC2");

        Path project = cli.root().resolve("project");
        Files.createDirectories(project.resolve("tiny"));
        Files.copy(EXAMPLES.resolve("tiny/cube.scad"), project.resolve("tiny/cube.scad"));
        cli.env().put("PWD", project.toString());
        Cli.Result render = cli.ok("render", "tiny/cube.scad");
        assertEquals("tiny/cube.stl\n", render.out(), render.toString());
        assertTrue(render.err().contains("rendering tiny/cube.scad on " + id), render.toString());
        assertTrue(Files.readString(project.resolve("tiny/cube.stl")).startsWith("solid"), "an ASCII STL");
        assertTrue(Files.isDirectory(Standins.home(id).orElseThrow().resolve(".cgrender/jobs")),
                "the job ran on the instance's stand-in");
        assertTrue(render.err().matches("(?s).*\nrendered in \\d+s on " + id
                + ", estimated cost \\$[0-9.]+ \\(c6i\\.large at \\$0\\.085/h\\); results in s3://.*"),
                "the summary line gives the job's cost: " + render);
        Config job = ConfigFactory.parseString("{\"jobs\":" + cli.ok("jobs", "--json").out() + "}",
                ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON)).getConfigList("jobs").get(0);
        assertEquals(0.085, job.getDouble("hourly_price"), job.toString());
        assertEquals(0.085 * job.getLong("duration_seconds") / 3600, job.getDouble("cost"), 0.085 / 3600,
                "the job costs its box's price × how long it ran: " + job);
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job.getString("id")) && l.contains(" $")),
                "the jobs table has the cost");

        String row = cli.ok("list").out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
        assertTrue(row.contains("openscad-ubuntu-box#0") && row.contains("running") && row.contains("ready")
                && row.contains("127.0.0.1:"), row);
        assertTrue(row.contains("$0.085/h"), row);
        Config box = ConfigFactory.parseString("{\"boxes\":" + cli.ok("list", "--json").out() + "}",
                ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON)).getConfigList("boxes").get(0);
        assertEquals(0.085, box.getDouble("hourly_price"), box.toString());
        assertTrue(box.getDouble("accrued_cost") > 0 && box.getDouble("accrued_cost") < 0.085, box.toString());
        assertEquals("2026-12-05", box.getString("price_date"), box.toString());
        assertTrue(cli.ok("show", id).out().contains("hourly_price: 0.085\n"), "show gives the price too");

        cli.ok("terminate", "openscad-ubuntu-box");
        assertEquals("terminated", instance(id).state().nameAsString());
        assertFalse(knownHosts().contains(id), "the host key pin is forgotten");
    }

    @Test
    void aDryRunSaysWhatItsBoxWouldCostAndTheBudgetRefusesADearerOrUnknownPriceBeforeAnythingIsMade()
            throws IOException {
        Path project = cli.root().resolve("project");
        Files.createDirectories(project.resolve("tiny"));
        Files.copy(EXAMPLES.resolve("tiny/cube.scad"), project.resolve("tiny/cube.scad"));
        cli.env().put("PWD", project.toString());
        Cli.Result dry = cli.ok("render", "--dry-run", "tiny/cube.scad");
        assertTrue(dry.out().contains("\ncost: launching c6i.large in us-east-1 at $0.085/h; it ends itself after 20m"
                + " idle or 8h at most (≤ $0.68)\n"), dry.toString());

        user.configure("cgrender.box.idle-timeout = 20m\ncgrender.budget.max-hourly = 0.05\n");
        Cli.Result dear = cli.run("create", "openscad-ubuntu-box");
        assertEquals(2, dear.code(), dear.toString());
        assertTrue(dear.err().contains("error: c6i.large in us-east-1 costs $0.085/h, above cgrender.budget.max-hourly"
                + " ($0.05/h); nothing was launched\nfix: "), dear.toString());
        assertEquals(2, cli.run("render", "--dry-run", "tiny/cube.scad").code(), "a dry run refuses it too");
        Cli.Result unknown = cli.run("create", "echo-box", "--instance-type", "m5zn.large");
        assertEquals(2, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("error: price unknown for m5zn.large in us-east-1; set"
                + " cgrender.ec2.hourly-prices; cgrender.budget.max-hourly ($0.05/h) refuses a launch at an unknown"
                + " price"), unknown.toString());
        assertEquals(List.of(), user.allInstances(), "nothing launched");
        assertTrue(ec2.describeKeyPairs().keyPairs().isEmpty(), "no key pair made");
    }

    @Test
    void aBoxLivesThroughStopStartImageRecreateAndTerminate() throws IOException {
        try (AwsProxy proxy = AwsProxy.to(moto.endpoint())) {
            user.configure("cgrender.box.idle-timeout = 20m\ncgrender.aws.endpoint = \"" + proxy.endpoint() + "\"\n");
            aBoxLivesThroughStopStartImageRecreateAndTerminate(proxy);
        }
    }

    private void aBoxLivesThroughStopStartImageRecreateAndTerminate(AwsProxy proxy) throws IOException {
        Cli.Result created = cli.ok("create", "echo-box");
        String id = created.out().strip();
        assertTrue(created.err().contains("setting up from scratch: no image of echo-box yet"), created.toString());
        String baked = single(images());
        assertTrue(created.err().contains("baking image " + baked + " of " + id + " (echo-box, generation 1, pending)"),
                "CreateImage, not waited for: " + created);
        assertEquals("terminate", ec2.describeInstanceAttribute(r -> r.instanceId(id)
                .attribute("instanceInitiatedShutdownBehavior")).instanceInitiatedShutdownBehavior().value());
        String userData = new String(Base64.getDecoder().decode(ec2.describeInstanceAttribute(r -> r.instanceId(id)
                .attribute("userData")).userData().value()), StandardCharsets.UTF_8);
        assertTrue(userData.contains("cgrender-watchdog.service") && userData.contains("CGRENDER_IDLE_SECONDS:-1200"),
                "the watchdog, with the configured idle timeout of 20m: " + userData);

        assertEquals("setup\n", cli.ok("ssh", "echo-box", "--", "cat", "setup-runs").out());
        Cli.Result show = cli.ok("show", "echo-box");
        assertTrue(show.out().contains("host_key_fingerprints: SHA256:") && show.out().contains("HostKeyAlias=" + id),
                show.toString());
        String address = address(id);

        cli.ok("stop", "echo-box");
        assertEquals("stopped", instance(id).state().nameAsString());
        assertTrue(cli.ok("list").out().lines().anyMatch(l -> l.startsWith(id) && l.contains("stopped")));
        String pinned = knownHosts();
        cli.ok("start", "echo-box");
        assertNotEquals(address, address(id), "a started instance has a new address");
        assertEquals(pinned, knownHosts(), "and the same host key");
        assertEquals("setup\n", cli.ok("ssh", "echo-box", "--", "cat", "setup-runs").out(), "and the same disk");

        Path upload = Files.createDirectories(cli.root().resolve("upload"));
        Files.writeString(upload.resolve("model.scad"), "cube(1);\n");
        Cli.Result rsync = cli.run("rsync", "echo-box", "-a", upload + "/", ":models/");
        assertEquals(0, rsync.code(), "system ssh holds the instance to its pinned key: " + rsync);
        assertEquals("cube(1);\n", cli.ok("ssh", "echo-box", "--", "cat", "models/model.scad").out());

        Cli.Result job = cli.ok("run", "echo-box", "--", "sh", "-c", "echo from a job in $HOME");
        assertTrue(job.out().contains("from a job in " + Standins.home(id).orElseThrow()), job.toString());

        String image = cli.ok("image", "echo-box").out().strip();
        assertTrue(image.matches("ami-[0-9a-f]+"), image);
        assertTrue(ec2.describeImages(r -> r.imageIds(image)).images().get(0).tags().stream()
                .anyMatch(t -> t.key().equals("cgrender:setup-hash") && t.value().matches("[0-9a-f]{16}")),
                "the image carries its role, generation and setup hash");
        assertTrue(cli.ok("list-images").out().lines().anyMatch(l -> l.startsWith(image) && l.contains(" 2 ")
                && l.contains(" available ") && l.contains(" current ")), cli.ok("list-images").toString());
        Cli.Result recreated = cli.ok("recreate", "echo-box");
        String copy = recreated.out().strip();
        assertNotEquals(id, copy);
        assertFalse(recreated.err().contains("setting up"), "no setup for a box from an image: " + recreated);
        assertEquals(image, instance(copy).imageId());
        assertEquals("setup\n", cli.ok("ssh", copy, "--", "cat", "setup-runs").out(), "the image's disk");

        cli.ok("terminate", "echo-box#0");
        cli.ok("terminate", copy);
        assertEquals(List.of(), cli.boxIds());

        // A new box launches from the newest available image; a pending one is not used.
        proxy.faults().imageState(image, "pending");
        assertTrue(cli.ok("list-images").out().lines().anyMatch(l -> l.startsWith(image) && l.contains(" pending ")));
        Cli.Result fromImage = cli.ok("create", "echo-box");
        String third = fromImage.out().strip();
        assertTrue(fromImage.err().contains("launching from image " + baked + " (generation 1), no setup needed"),
                fromImage.toString());
        assertFalse(fromImage.err().contains("setting up"), "no setup: " + fromImage);
        assertEquals(baked, instance(third).imageId());
        String thirdData = new String(Base64.getDecoder().decode(ec2.describeInstanceAttribute(r -> r
                .instanceId(third).attribute("userData")).userData().value()), StandardCharsets.UTF_8);
        assertTrue(thirdData.contains(instance(third).tags().stream().filter(t -> t.key().equals("cgrender:expires-at"))
                .findFirst().orElseThrow().value()), "its watchdog is armed with its own expiry, from its user data");
        cli.ok("terminate", third);

        // A failed image is never used, and the next bake deletes it with its snapshots; so does the keep limit.
        proxy.faults().imageState(image, "failed");
        List<String> snapshots = snapshots(baked, image);
        Cli.Result fresh = cli.ok("create", "echo-box", "--new", "--fresh");
        assertTrue(fresh.err().contains("setting up from scratch: images are not used"), fresh.toString());
        assertTrue(fresh.err().contains("deleted image " + image + " of echo-box (generation 2, failed)"),
                fresh.toString());
        cli.ok("terminate", fresh.out().strip());
        proxy.faults().imageState(image, null);
        Cli.Result again = cli.ok("create", "echo-box", "--new", "--fresh");
        assertTrue(again.err().contains("deleted image " + baked + " of echo-box (generation 1, beyond"),
                again.toString());
        cli.ok("terminate", again.out().strip());
        List<String> left = images();
        assertEquals(2, left.size(), left.toString());
        assertFalse(left.contains(baked) || left.contains(image), left.toString());
        assertEquals(List.of(), ec2.describeSnapshots(r -> r.ownerIds("self")).snapshots().stream()
                .filter(sn -> snapshots.contains(sn.snapshotId())).toList(), "their snapshots are deleted too");
        left.forEach(i -> cli.ok("delete-image", i));
        assertEquals(List.of(), ec2.describeImages(r -> r.owners("self")).images());
    }

    /** The namespace's images, newest first. */
    private List<String> images() {
        return cli.ok("list-images").out().lines().skip(1).map(l -> l.split("\\s+")[0]).toList();
    }

    private static String single(List<String> ids) {
        assertEquals(1, ids.size(), ids.toString());
        return ids.get(0);
    }

    private List<String> snapshots(String... imageIds) {
        return ec2.describeImages(r -> r.imageIds(imageIds)).images().stream()
                .flatMap(i -> i.blockDeviceMappings().stream())
                .filter(m -> m.ebs() != null && m.ebs().snapshotId() != null)
                .map(m -> m.ebs().snapshotId()).toList();
    }

    @Test
    void aHostKeyOnTheConsoleThatTheInstanceDoesNotPresentIsRefusedAndTheInstanceTerminated() {
        Standins.presentAStrangerKeyNext();
        Cli.Result r = cli.run("create", "echo-box");
        assertEquals(1, r.code(), r.toString());
        List<Instance> all = allInstances();
        assertEquals(1, all.size());
        String id = all.get(0).instanceId();
        assertTrue(r.err().contains("refusing the host key of " + id) && r.err().contains("the cloud vouches only"
                + " for SHA256:"), r.toString());
        assertTrue(r.err().contains("terminating box " + id), r.toString());
        assertEquals("terminated", all.get(0).state().nameAsString());
        assertFalse(knownHosts().contains(id), "a refused key is never pinned");
        Standins.sync(ec2);
        Standins.Remains remains = Standins.remainsOf(id).orElseThrow();
        assertFalse(remains.sshdLog().contains("Accepted publickey"), "nobody logged in: " + remains.sshdLog());
        assertEquals(List.of(".ssh", ".ssh/authorized_keys"), remains.homeFiles(), "nothing ran there");
    }

    @Test
    void namespacesNeverSeeEachOthersInstancesImagesOrKeyPairs() {
        String a = cli.ok("-n", "/team-a/", "create", "echo-box").out().strip();
        String image = cli.ok("-n", "/team-a/", "image", "echo-box").out().strip();
        assertEquals(List.of(), cli.boxIds("-n", "/team-b/"));
        assertEquals("", cli.ok("-n", "/team-b/", "list-images").out(), "no image of /team-a/ shows");
        Cli.Result terminate = cli.run("-n", "/team-b/", "terminate", a);
        assertEquals(2, terminate.code(), terminate.toString());
        Cli.Result delete = cli.run("-n", "/team-b/", "delete-image", image);
        assertEquals(2, delete.code(), delete.toString());

        String b = cli.ok("-n", "/team-b/", "create", "echo-box").out().strip();
        assertEquals(List.of(a), cli.boxIds("-n", "/team-a/"));
        assertEquals(List.of(b), cli.boxIds("-n", "/team-b/"));
        Map<String, KeyPairInfo> keys = ec2.describeKeyPairs(r -> r.includePublicKey(true)).keyPairs().stream()
                .collect(Collectors.toMap(KeyPairInfo::keyName, k -> k));
        assertEquals(java.util.Set.of("cgrender_team-a_", "cgrender_team-b_"), keys.keySet());
        assertNotEquals(keys.get("cgrender_team-a_").publicKey(), keys.get("cgrender_team-b_").publicKey());
        assertEquals("cgrender_team-b_", instance(b).keyName());
        cli.ok("-n", "/team-a/", "delete-image", image);
    }

    @Test
    void badInputIsRefusedWithExitTwoAndNothingLaunched() throws IOException {
        refused(cli.run("--region", "us-east-9", "list"), "unknown AWS region 'us-east-9' (from --region");
        refused(cli.run("create", "echo-box", "--instance-type", "zz9.mega"),
                "instance type 'zz9.mega' (--instance-type) is not offered in us-east-1");
        refused(cli.run("create", "echo-box", "--ami", "ami-0123456789abcdef0"),
                "AMI ami-0123456789abcdef0 (from cgrender.roles.\"echo-box\".image (--ami)) not found");
        refused(cli.run("create", "echo-box", "--instance-id", "i-0123456789abcdef0"),
                "no EC2 instance i-0123456789abcdef0 in us-east-1");
        refused(cli.run("create", "echo-box", "--instance-id", "i-0123456789abcdef0", "--count", "2"),
                "--instance-id adopts an existing instance");

        Map<String, String> saved = Map.copyOf(cli.env());
        cli.env().remove("AWS_ACCESS_KEY_ID");
        cli.env().remove("AWS_SECRET_ACCESS_KEY");
        refused(cli.run("list"), "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        cli.env().remove("AWS_REGION");
        cli.env().putAll(Map.of("AWS_ACCESS_KEY_ID", saved.get("AWS_ACCESS_KEY_ID"),
                "AWS_SECRET_ACCESS_KEY", saved.get("AWS_SECRET_ACCESS_KEY")));
        refused(cli.run("list"), "no AWS region: pass --region");
        cli.env().putAll(saved);

        Path closed = Files.writeString(cli.root().resolve("closed.conf"), "cgrender.aws.endpoint = "
                + "\"http://127.0.0.1:" + FreePort.find() + "\"\n");
        Cli.Result unreachable = cli.run("-c", closed.toString(), "list");
        assertEquals(1, unreachable.code(), unreachable.toString());
        assertTrue(unreachable.err().startsWith("error: cannot reach EC2 in us-east-1 at http://127.0.0.1:"),
                unreachable.toString());
    }

    @Test
    void anInstanceOfAnotherNamespaceCannotBeAdopted() {
        String theirs = cli.ok("-n", "/team-a/", "create", "echo-box").out().strip();
        Cli.Result r = cli.run("-n", "/team-b/", "create", "echo-box", "--instance-id", theirs);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("error: EC2 instance " + theirs + " belongs to namespace /team-a/, not"
                + " /team-b/"), r.toString());
        assertEquals(List.of(theirs), cli.boxIds("-n", "/team-a/"), "untouched");
    }

    @Test
    void anAdoptedInstanceIsSavedAsTheDefaultsPrimaryBox() throws IOException {
        String older = cli.ok("create", "echo-box").out().strip();
        String mine = ec2.runInstances(r -> r.imageId("ami-785db401").instanceType("t3.micro").minCount(1)
                .maxCount(1).keyName("cgrender_tester_").tagSpecifications(t -> t.resourceType("instance")
                        .tags(Tag.builder().key("Name").value("my box").build()))).instances().get(0).instanceId();
        ec2.stopInstances(r -> r.instanceIds(mine));
        writeConfig(Ec2TestKit.hocon(moto).replace("  cloud = ec2\n", ""));

        Cli.Result adopt = cli.ok("--cloud", "ec2", "--region", "us-east-1", "create", "echo-box", "--instance-id",
                mine, "--save-defaults", "--set-primary");
        assertEquals(mine, adopt.out().strip(), adopt.toString());
        assertTrue(adopt.err().contains("adopted " + mine + " as a box of echo-box in /tester/"), adopt.toString());
        assertEquals("running", instance(mine).state().nameAsString(), "started");
        String defaults = Files.readString(cli.configDir().resolve("defaults.conf"));
        assertTrue(defaults.contains("cloud=ec2") || defaults.contains("cloud = ec2") || defaults.contains("\"cloud\""),
                defaults);
        assertTrue(defaults.contains("\"/tester/\"") && defaults.contains(mine), defaults);

        Cli.Result reuse = cli.ok("create", "echo-box");
        assertEquals(mine, reuse.out().strip(), "the saved cloud, and the primary box before the older one: " + reuse);
        assertEquals(java.util.Set.of(older, mine), java.util.Set.copyOf(cli.boxIds()));
        assertEquals("setup\n", cli.ok("ssh", mine, "--", "cat", "setup-runs").out(), "set up once");
    }

    @Test
    void gcListsAndThenRemovesWhatTheNamespaceLeftBehindAndNothingElse() {
        String alive = cli.ok("create", "echo-box").out().strip();
        String expired = cli.ok("create", "echo-box", "--new").out().strip();
        String image = cli.ok("image", alive).out().strip();
        String otherBox = cli.ok("-n", "/other/", "create", "echo-box").out().strip();
        // What the watchdog never got to end (say, the box was stopped past its max lifetime), and a role now gone.
        ec2.createTags(r -> r.resources(expired, otherBox).tags(Tag.builder().key("cgrender:expires-at")
                .value("2020-01-01T00:00:00Z").build()));
        ec2.createTags(r -> r.resources(image).tags(Tag.builder().key("cgrender:role").value("retired-box").build()));

        Cli.Result listed = cli.ok("gc");
        assertTrue(listed.out().lines().anyMatch(l -> l.startsWith("box") && l.contains(expired)
                && l.contains("expired at 2020-01-01T00:00:00Z")), listed.toString());
        assertTrue(listed.out().lines().anyMatch(l -> l.startsWith("image") && l.contains(image)
                && l.contains("retired-box")), listed.toString());
        assertEquals(3, listed.out().lines().count(), "the header and two items: " + listed);
        assertTrue(listed.err().contains("remove them with: cgrender gc --yes"), listed.toString());
        assertEquals("running", instance(expired).state().nameAsString(), "listing removes nothing");

        cli.ok("gc", "--yes");
        assertEquals("terminated", instance(expired).state().nameAsString());
        // the image of a role now gone is deregistered; what the creates baked of echo-box, a role that exists, stays
        List<software.amazon.awssdk.services.ec2.model.Image> left = ec2.describeImages(r -> r.owners("self"))
                .images();
        assertTrue(left.stream().noneMatch(i -> i.imageId().equals(image)), left.toString());
        assertTrue(left.stream().allMatch(i -> i.tags().stream().anyMatch(t -> t.key().equals("cgrender:role")
                && t.value().equals("echo-box"))), left.toString());
        assertEquals(List.of(alive), cli.boxIds());

        cli.ok("terminate", alive);
        Cli.Result unused = cli.ok("gc", "--yes");
        assertTrue(unused.err().contains("removed key pair cgrender_tester_")
                && unused.err().contains("removed security group sg-"), unused.toString());
        assertEquals(List.of("cgrender_other_"), ec2.describeKeyPairs().keyPairs().stream()
                .map(KeyPairInfo::keyName).toList(), "the other namespace keeps its key pair");
        assertEquals("running", instance(otherBox).state().nameAsString(), "and its expired box");
        assertTrue(cli.ok("gc").err().contains("nothing left behind in /tester/"));
    }

    // ---------------------------------------------------------------- helpers

    /** Refused with exit 2, the error first (after the price line of a launch the cloud then refuses). */
    private void refused(Cli.Result r, String fragment) {
        assertEquals(2, r.code(), r.toString());
        String err = r.err().replaceFirst("^launching [^\n]*\n", "");
        assertTrue(err.startsWith("error: "), r.toString());
        assertTrue(err.lines().findFirst().orElse("").contains(fragment), "'" + fragment + "' missing: " + r);
        assertEquals(List.of(), live(), "nothing launched");
    }

    private void writeConfig(String hocon) throws IOException {
        user.writeConfig(hocon);
    }

    private List<Instance> allInstances() {
        return user.allInstances();
    }

    private List<Instance> live() {
        return user.live();
    }

    private Instance instance(String id) {
        return user.instance(id);
    }

    /** The address list shows for a box. */
    private String address(String id) {
        return cli.ok("list").out().lines().filter(l -> l.startsWith(id))
                .flatMap(l -> Stream.of(l.split("\\s+"))).filter(w -> w.startsWith("127.0.0.1:"))
                .findFirst().orElseThrow();
    }

    private String knownHosts() {
        try {
            Path file = cli.configDir().resolve("known_hosts");
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
