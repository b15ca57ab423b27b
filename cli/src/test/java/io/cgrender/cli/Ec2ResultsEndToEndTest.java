package io.cgrender.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.core.job.JobProcess;
import io.cgrender.core.ns.Tags;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renders on EC2 whose boxes finish by themselves: results, log and manifest in moto's S3, mail in moto's SES, the
 * box's {@code --after} request, {@code fetch} once the box is gone, and what is refused up front. The boxes are
 * moto instances with real sshd stand-ins whose sessions see moto as their AWS endpoint and instance metadata; the
 * upload, mail and stop logic on the box is cgrender's own, run by the stand-in's real shell and AWS CLI.
 */
class Ec2ResultsEndToEndTest {

    private static final Path EXAMPLES = Path.of("../examples/models").toAbsolutePath().normalize();
    private static final Pattern LOCATION = Pattern.compile("results go to (s3://([^/]+)/(\\S+/))");
    private static final Pattern JOB = Pattern.compile("as job (j-[0-9a-f-]+)");
    private static final String ME = "me@example.com";

    private Ec2Cli user;
    private MotoServer moto;
    private Cli cli;
    private Ec2Client ec2;
    private S3Client s3;
    private Path project;

    @BeforeEach
    void start() throws IOException {
        user = new Ec2Cli();
        moto = user.moto;
        cli = user.cli;
        ec2 = user.ec2;
        writeConfig("cgrender.box.idle-timeout = 20m\n");
        s3 = Ec2TestKit.s3(moto);
        project = cli.root().resolve("project");
        Files.createDirectories(project.resolve("tiny"));
        Files.copy(EXAMPLES.resolve("tiny/cube.scad"), project.resolve("tiny/cube.scad"));
        Files.copy(Path.of("src/test/resources/models/slow.scad"), project.resolve("slow.scad"));
        cli.env().put("PWD", project.toString());
        Ec2TestKit.verifyEmail(moto, ME);
    }

    @AfterEach
    void stop() throws IOException {
        if (user == null) {
            return; // skipped before anything started
        }
        try {
            user.close();
        } finally {
            s3.close();
        }
    }

    @Test
    void theBoxStoresResultsInS3MailsWorkingLinksTerminatesItselfAndFetchWorksAfterwards() throws Exception {
        Cli.Result render = cli.ok("render", "tiny/cube.scad", "--email", ME, "--after", "terminate");
        assertEquals("tiny/cube.stl\n", render.out(), render.toString());
        byte[] stl = Files.readAllBytes(project.resolve("tiny/cube.stl"));
        assertTrue(new String(stl, StandardCharsets.US_ASCII).startsWith("solid"), "an ASCII STL");
        String id = onlyInstance().instanceId();
        Matcher where = LOCATION.matcher(render.err());
        assertTrue(where.find(), render.toString());
        String bucket = where.group(2);
        String prefix = where.group(3);
        String job = jobId(render);
        assertTrue(bucket.matches("cgrender-123456789012-us-east-1-[0-9a-f]{10}"), bucket);
        assertEquals("_tester_/cube/" + job + "/", prefix);
        assertTrue(render.err().contains("created bucket s3://" + bucket), render.toString());
        assertTrue(render.err().contains("created IAM role and instance profile cgrender_tester_"), render.toString());
        assertTrue(render.err().contains("rendered in ") && render.err().contains("on " + id + ", estimated cost $")
                && render.err().contains(" (c6i.large at $0.085/h); results in s3://"),
                render.toString());

        // S3: the outputs, the log, the manifest and the cache entry, at the documented keys
        assertEquals(List.of(prefix + "cube.stl", prefix + "manifest.json", prefix + "render.log"),
                Ec2TestKit.keys(s3, bucket, prefix));
        assertArrayEquals(stl, object(bucket, prefix + "cube.stl"), "the same STL in S3 and next to the model");
        List<String> cache = Ec2TestKit.keys(s3, bucket, "_tester_/cache/");
        assertEquals(1, cache.size(), cache.toString());
        String entry = new String(object(bucket, cache.get(0)), StandardCharsets.UTF_8);
        assertTrue(entry.contains("\"output\":\"" + prefix + "cube.stl\"") && entry.contains("\"sha256\":{\"output\":\""
                + sha256(project.resolve("tiny/cube.stl")) + "\"}"), entry);
        Config manifest = json(object(bucket, prefix + "manifest.json"));
        assertEquals(job, manifest.getString("job"));
        assertEquals(0, manifest.getInt("exit_code"));
        assertEquals("c6i.large", manifest.getString("instance_type"));
        assertTrue(manifest.getString("openscad_version").startsWith("OpenSCAD version"), manifest.toString());
        assertEquals("tiny/cube.scad", manifest.getConfigList("inputs").get(0).getString("path"));
        assertEquals(sha256(project.resolve("tiny/cube.scad")),
                manifest.getConfigList("inputs").get(0).getString("sha256"));
        assertEquals(sha256(project.resolve("tiny/cube.stl")),
                manifest.getConfigList("outputs").get(0).getString("sha256"));
        assertTrue(Instant.parse(manifest.getString("ended")).compareTo(Instant.parse(manifest.getString("started")))
                >= 0);
        assertTrue(manifest.getDouble("estimated_cost.usd") >= 0 && manifest.getDouble("estimated_cost.hourly_usd")
                == 0.085, manifest.toString());
        assertTrue(manifest.getString("estimated_cost.basis").startsWith("approximate on-demand list prices bundled"
                + " with cgrender of 2026-12-05, c6i.large in us-east-1"), manifest.toString());
        assertTrue(new String(object(bucket, prefix + "render.log"), StandardCharsets.UTF_8)
                .contains("cgrender: mailed " + ME));

        // SES: one mail with the S3 URIs and presigned links that work
        List<Ec2TestKit.SentMail> mails = Ec2TestKit.sentMail(moto);
        assertEquals(1, mails.size(), mails.toString());
        Ec2TestKit.SentMail mail = mails.get(0);
        assertEquals(List.of(ME), mail.to());
        assertEquals("cgrender: tiny/cube.scad rendered in " + mail.subject().substring(mail.subject()
                .lastIndexOf(' ') + 1), mail.subject());
        assertTrue(mail.body().contains("s3://" + bucket + "/" + prefix + "cube.stl"), mail.body());
        assertTrue(mail.body().contains("The download links are valid until "), mail.body());
        assertTrue(mail.body().contains("(c6i.large at $0.085/h: approximate on-demand list prices bundled with"
                + " cgrender"), mail.body());
        String link = linkAfter(mail.body(), "s3://" + bucket + "/" + prefix + "cube.stl");
        assertTrue(link.contains("X-Amz-Signature=") && link.contains("X-Amz-Expires=604800"), link);
        assertArrayEquals(stl, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(link)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body(), "the mailed link downloads the STL");

        // the instance profile's role: the box stored with it, and it may do little
        try (var iam = Ec2TestKit.iam(moto)) {
            String policy = iam.listRolePolicies(r -> r.roleName("cgrender_tester_")).policyNames().stream()
                    .map(name -> java.net.URLDecoder.decode(iam.getRolePolicy(r -> r.roleName("cgrender_tester_")
                            .policyName(name)).policyDocument(), StandardCharsets.UTF_8))
                    .collect(java.util.stream.Collectors.joining("\n"));
            assertTrue(policy.contains("\"Action\":[\"s3:PutObject\"],\"Resource\":[\"arn:aws:s3:::" + bucket
                    + "/_tester_/*\"]"), policy);
            assertTrue(policy.contains("\"ses:FromAddress\":\"" + ME + "\""), policy);
            assertFalse(policy.contains("s3:GetObject") || policy.contains("s3:*") || policy.contains("ec2:Terminate"),
                    policy);
        }

        // --after terminate: the box ends itself, once the client has gone, having removed its working files
        awaitState(id, "terminated");
        Standins.Remains remains = Standins.remainsOf(id).orElseThrow();
        assertTrue(remains.watchdogLog().contains("the last job asked to terminate the box"), remains.toString());
        assertTrue(remains.homeFiles().contains(".cgrender/jobs/" + job + "/log"), remains.homeFiles().toString());
        assertFalse(remains.homeFiles().stream().anyMatch(f -> f.startsWith(".cgrender/jobs/" + job + "/out")
                || f.startsWith(".cgrender/jobs/" + job + "/in")), "the working files are gone: "
                + remains.homeFiles());
        assertTrue(remains.homeFiles().stream().anyMatch(f -> f.startsWith(".cgrender/work/")),
                "the model's upload cache stays for the next render: " + remains.homeFiles());

        // fetch and logs, with the box gone: from S3
        Files.delete(project.resolve("tiny/cube.stl"));
        Cli.Result fetch = cli.ok("fetch", job);
        assertEquals("tiny/cube.stl\n", fetch.out(), fetch.toString());
        assertArrayEquals(stl, Files.readAllBytes(project.resolve("tiny/cube.stl")));
        Files.delete(cli.stateDir().resolve("jobs").resolve(job).resolve("log"));
        Cli.Result logs = cli.ok("logs", job);
        assertTrue(logs.out().contains("cgrender: stored the results in s3://" + bucket + "/" + prefix),
                logs.toString());

        // the cache is S3's: the same render comes back without a box
        Cli.Result again = cli.ok("render", "tiny/cube.scad");
        assertTrue(again.err().contains("cache hit: tiny/cube.scad"), again.toString());
        assertEquals(List.of(), live(), "no box for a cache hit");

        // with no box left, gc takes the role and instance profile too, and leaves the results
        Cli.Result gc = cli.ok("gc", "--yes");
        assertTrue(gc.err().contains("removed instance profile cgrender_tester_"), gc.toString());
        try (var iam = Ec2TestKit.iam(moto)) {
            assertEquals(List.of(), iam.listRoles().roles());
            assertEquals(List.of(), iam.listInstanceProfiles().instanceProfiles());
        }
        assertEquals(3, Ec2TestKit.keys(s3, bucket, prefix).size(), "the results stay");
    }

    @Test
    void aRenderWhoseClientIsKilledStillStoresMailsAndCanBeFetchedAndNoSecretReachesTheBox() throws Exception {
        String id = cli.ok("create", "openscad-ubuntu-box").out().strip();
        Path home = Standins.home(id).orElseThrow();
        Path log = cli.root().resolve("killed-render.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + Standins.ATTACH_PROPERTY + "=" + Standins.sharedRoot(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "render", "slow.scad", "--email", ME)
                .directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(cli.env());
        Process client = pb.start();
        try {
            // The job runs and the client has said where its results go (it says so right after starting it).
            await(() -> (runningJob(home).isPresent() && LOCATION.matcher(read(log)).find()) || !client.isAlive(),
                    Duration.ofSeconds(90), () -> "no job started:\n" + read(log));
            assertTrue(client.isAlive(), "the client was still attached:\n" + read(log));
            client.destroyForcibly(); // SIGKILL: no shutdown hook, no goodbye
            assertTrue(client.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            client.destroyForcibly();
        }
        // The job goes on: nothing on the box knows the client's secret, in any process's environment or file.
        assertNoSecretOnTheBox(id, home);
        String output = read(log);
        assertFalse(output.contains("slow.stl"), "killed before it collected anything:\n" + output);
        Matcher where = LOCATION.matcher(output);
        assertTrue(where.find(), output);
        String bucket = where.group(2);
        String prefix = where.group(3);
        await(() -> Ec2TestKit.keys(s3, bucket, prefix).contains(prefix + "render.log"), Duration.ofSeconds(120),
                () -> "nothing stored in s3://" + bucket + "/" + prefix + "; the job's log:\n" + jobLog(home));
        assertEquals(List.of(prefix + "manifest.json", prefix + "render.log", prefix + "slow.stl"),
                Ec2TestKit.keys(s3, bucket, prefix));
        assertTrue(Ec2TestKit.sentMail(moto).stream().anyMatch(m -> m.subject().startsWith("cgrender: slow.scad"
                + " rendered in")), Ec2TestKit.sentMail(moto).toString());

        String job = jobId(new Cli.Result(0, "", output));
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("succeeded")),
                "the killed client's record learns how the job ended");
        Cli.Result fetch = cli.ok("fetch", job);
        assertEquals("slow.stl\n", fetch.out(), fetch.toString());
        assertArrayEquals(object(bucket, prefix + "slow.stl"), Files.readAllBytes(project.resolve("slow.stl")));
        assertEquals("running", instance(id).state().nameAsString(), "--after keep");

        // Idle now: the box says since when in its tag (with its instance profile), and list shows when it ends.
        await(() -> idleSince(id).filter(v -> v.matches("\\d{4}-.*Z")).isPresent(), Duration.ofSeconds(90),
                () -> "no idle-since tag (" + idleSince(id) + "); the watchdog logged:\n" + Standins.watchdogLog(id));
        Cli.Result list = cli.ok("list");
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id) && l.contains("(idle for ")), list.toString());
        assertTrue(cli.ok("show", id, "--json").out().contains("\"ends_by\":\"idle timeout\""), "show --json");
    }

    private Optional<String> idleSince(String id) {
        return instance(id).tags().stream().filter(t -> t.key().equals(Tags.IDLE_SINCE)).map(Tag::value)
                .findFirst();
    }

    @Test
    void theBoxWaitsForItsCredentialsAndOutlastsThrottlingSoItsResultsLandAndTheMailGoesOut() throws Exception {
        try (AwsProxy proxy = AwsProxy.to(moto.endpoint())) {
            writeConfig("cgrender.box.idle-timeout = 20m\ncgrender.aws.endpoint = \"" + proxy.endpoint() + "\"\n");
            // the box's credentials are refused for 25 s after it got them (its agent is their first user, at the
            // box's start; the job's S3 upload follows within seconds), and SES throttles 3 calls in a row, one more
            // than the AWS CLI tries by itself; the new instance profile is refused briefly (a launch waiting for it
            // is Ec2UnderAwsFaultsTest's)
            proxy.faults().slowIam(Duration.ofSeconds(5), Duration.ofSeconds(25)).throttleNext("SendEmail", 3);
            Cli.Result render = cli.ok("render", "tiny/cube.scad", "--email", ME, "--after", "terminate");
            assertTrue(Files.readString(project.resolve("tiny/cube.stl")).startsWith("solid"), render.toString());
            Matcher where = LOCATION.matcher(render.err());
            assertTrue(where.find(), render.toString());
            String prefix = where.group(3);
            assertEquals(List.of(prefix + "cube.stl", prefix + "manifest.json", prefix + "render.log"),
                    Ec2TestKit.keys(s3, where.group(2), prefix), "stored in S3, not taken from the box");
            assertFalse(render.err().contains("taking the results from the box"), render.toString());
            String log = new String(object(where.group(2), prefix + "render.log"), StandardCharsets.UTF_8);
            assertTrue(log.contains("cgrender: waiting for the box's AWS credentials to become usable"
                    + " (InvalidAccessKeyId: "), log);
            assertTrue(log.contains("cgrender: AWS answered Throttling: Rate exceeded; try 2 of 4"), log);
            assertEquals(1, Ec2TestKit.sentMail(moto).size(), "mailed once");
            assertTrue(proxy.calls("PutObject").stream().anyMatch(c -> "InvalidAccessKeyId".equals(c.fault())),
                    proxy.calls("PutObject").toString());
            awaitState(onlyInstance().instanceId(), "terminated");
        }
    }

    @Test
    void afterStopStopsTheBoxThroughItsInstanceProfile() throws Exception {
        Cli.Result render = cli.ok("render", "tiny/cube.scad", "--after", "stop");
        String id = onlyInstance().instanceId();
        assertEquals(Optional.of("arn:aws:iam::123456789012:instance-profile/cgrender/cgrender_tester_"),
                profileOf(id), render.toString());
        awaitState(id, "stopped");
        await(() -> Standins.watchdogLog(id).contains("the last job asked to stop the box: stopping " + id
                + " through the EC2 API (instance profile)"), Duration.ofSeconds(30), () -> Standins.watchdogLog(id));
        assertNoSecretOnTheBox(id, Standins.home(id).orElseThrow());
        Cli.Result list = cli.ok("list");
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id) && l.contains("stopped")), list.toString());
    }

    @Test
    void withoutAnInstanceProfileTheBoxStoresWithPresignedUrlsAndTheClientMails() throws Exception {
        writeConfig("cgrender.box.idle-timeout = 20m\ncgrender.ec2.results.box-access = presigned\n");
        Cli.Result render = cli.ok("render", "tiny/cube.scad", "--email", ME, "--after", "stop");
        String id = onlyInstance().instanceId();
        assertTrue(render.err().contains("warning: cgrender.ec2.results.box-access = presigned: the box stores the"
                + " results with URLs presigned for this job; it cannot mail by itself, so cgrender mails " + ME
                + " when it collects the job"), render.toString());
        assertTrue(render.err().contains("--after stop terminates the box"), render.toString());
        assertTrue(render.err().contains("mailed " + ME + " for the box, which has no credentials"),
                render.toString());
        Matcher where = LOCATION.matcher(render.err());
        assertTrue(where.find(), render.toString());
        String bucket = where.group(2);
        String prefix = where.group(3);
        assertEquals(List.of(prefix + "cube.stl", prefix + "mail.txt", prefix + "manifest.json",
                prefix + "render.log"), Ec2TestKit.keys(s3, bucket, prefix));
        assertEquals("presigned", json(object(bucket, prefix + "manifest.json")).getString("box_access"));
        assertEquals(Optional.empty(), profileOf(id), "no instance profile");
        try (var iam = Ec2TestKit.iam(moto)) {
            assertEquals(List.of(), iam.listRoles().roles(), "no IAM role either");
        }
        List<Ec2TestKit.SentMail> mails = Ec2TestKit.sentMail(moto);
        assertEquals(1, mails.size(), mails.toString());
        String link = linkAfter(mails.get(0).body(), "s3://" + bucket + "/" + prefix + "cube.stl");
        assertArrayEquals(Files.readAllBytes(project.resolve("tiny/cube.stl")), HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(link)).build(), HttpResponse.BodyHandlers.ofByteArray()).body());
        // a box that cannot stop itself ends instead, and says why
        awaitState(id, "terminated");
        assertTrue(Standins.watchdogLog(id).contains("it cannot stop itself without an instance profile"),
                Standins.watchdogLog(id));
        // fetching again does not mail again
        cli.ok("fetch", jobId(render));
        assertEquals(1, Ec2TestKit.sentMail(moto).size());
    }

    @Test
    void aBoxThatCannotReachS3FailsClearlyAndKeepsItsFiles() throws Exception {
        Standins.cutOffAwsNext();
        Cli.Result render = cli.run("render", "tiny/cube.scad");
        assertEquals(1, render.code(), render.toString());
        String id = onlyInstance().instanceId();
        String job = jobId(render);
        assertTrue(render.err().contains("cgrender: could not store cube.stl in s3://"), render.toString());
        assertTrue(render.err().contains("the working files are kept on the box in ~/.cgrender/jobs/" + job
                + "/out; taking the results from the box instead"), render.toString());
        assertTrue(Files.readString(project.resolve("tiny/cube.stl")).startsWith("solid"), "downloaded from the box");
        Matcher where = LOCATION.matcher(render.err());
        assertTrue(where.find(), render.toString());
        assertEquals(List.of(), Ec2TestKit.keys(s3, where.group(2), where.group(3)), "nothing in S3");
        Path home = Standins.home(id).orElseThrow();
        assertTrue(Files.isRegularFile(home.resolve(".cgrender/jobs/" + job + "/out/t0.stl")), "kept on the box");
        assertTrue(Files.isDirectory(home.resolve(".cgrender/work")), "the upload cache too");
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("failed")));
    }

    @Test
    void whatSesS3OrTheUserWouldRefuseIsRefusedBeforeAnythingIsLaunched() throws Exception {
        refused(cli.run("render", "tiny/cube.scad", "--email", "me@@example"), "--email 'me@@example' is not an"
                + " email address");
        refused(cli.run("render", "tiny/cube.scad", "--email", "stranger@example.org"), "cannot mail"
                + " stranger@example.org: the sender stranger@example.org is not a verified identity of Amazon SES in"
                + " us-east-1; verify it and click the link AWS mails to it, or set cgrender.notify.from to a verified"
                + " sender\nfix: aws ses verify-email-identity --email-address stranger@example.org"
                + " --region us-east-1");
        writeConfig("cgrender.notify.from = \"" + ME + "\"\n");
        refused(cli.run("render", "tiny/cube.scad", "--email", "friend@example.org"), "Amazon SES in us-east-1 is in"
                + " the sandbox, which mails verified addresses only; verify friend@example.org, or ask AWS for"
                + " production access (SES console, Account dashboard)\nfix: aws ses verify-email-identity"
                + " --email-address friend@example.org --region us-east-1");
        refused(cli.run("render", "tiny/cube.scad", "-o", "s3://Not_A_Bucket"), "'Not_A_Bucket' is not a valid S3"
                + " bucket name");
        refused(cli.run("render", "tiny/cube.scad", "-o", "s3://no-such-bucket-here"), "there is no S3 bucket"
                + " no-such-bucket-here (-o); create it in us-east-1, or leave the location out to use cgrender's own"
                + " bucket\nfix: aws s3 mb s3://no-such-bucket-here --region us-east-1\n");
        s3.createBucket(r -> r.bucket("far-away-results").createBucketConfiguration(c -> c.locationConstraint(
                "eu-west-1")));
        refused(cli.run("render", "tiny/cube.scad", "-o", "s3://far-away-results/renders"), "bucket far-away-results"
                + " (-o) is in eu-west-1, but the boxes run in us-east-1; render with --region eu-west-1");
        try (var sts = Ec2TestKit.sts(moto)) {
            var theirs = sts.assumeRole(r -> r.roleArn("arn:aws:iam::111111111111:role/elsewhere")
                    .roleSessionName("other-account")).credentials();
            try (S3Client other = S3Client.builder().endpointOverride(URI.create(moto.endpoint()))
                    .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                    .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                            software.amazon.awssdk.auth.credentials.AwsSessionCredentials.create(
                                    theirs.accessKeyId(), theirs.secretAccessKey(), theirs.sessionToken())))
                    .build()) {
                other.createBucket(r -> r.bucket("someone-elses-results"));
            }
        }
        refused(cli.run("render", "tiny/cube.scad", "-o", "s3://someone-elses-results"), "bucket"
                + " someone-elses-results (-o) belongs to another AWS account");
        refused(cli.run("--cloud", "local", "render", "tiny/cube.scad", "--email", ME), "--email: the local cloud"
                + " cannot send mail");
        refused(cli.run("--cloud", "local", "render", "tiny/cube.scad", "-o", "s3://bucket"), "-o s3://bucket: the"
                + " local cloud has no storage of its own");
        assertEquals(List.of(), Ec2TestKit.sentMail(moto));
    }

    // ---------------------------------------------------------------- helpers

    private void refused(Cli.Result r, String fragment) {
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("error: ") && r.err().contains(fragment), "'" + fragment + "' missing: " + r);
        assertEquals(List.of(), allInstances(), "nothing launched");
    }

    /**
     * Neither the secret access key of the client's credentials nor the key's id is in the environment of any
     * process of the box, nor in any file on it, except the key id inside presigned download links, which carry it
     * by design (as X-Amz-Credential).
     */
    private void assertNoSecretOnTheBox(String id, Path home) throws IOException {
        String user = Standins.users().get(id);
        List<String> found = new ArrayList<>();
        int processes = 0;
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            if (!p.info().user().map(user::equals).orElse(false)) {
                continue;
            }
            processes++;
            Path environ = Path.of("/proc", Long.toString(p.pid()), "environ");
            try {
                String env = new String(Files.readAllBytes(environ), StandardCharsets.UTF_8);
                if (env.contains(MotoServer.SECRET_KEY) || env.contains(MotoServer.ACCESS_KEY)
                        || env.contains("AWS_SECRET_ACCESS_KEY") || env.contains("AWS_SESSION_TOKEN")) {
                    found.add("the environment of " + p.pid() + " " + p.info().commandLine().orElse(""));
                }
            } catch (IOException gone) {
                // the process ended meanwhile
            }
        }
        try (Stream<Path> files = Files.walk(home)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                String withoutLinks = text.replace("X-Amz-Credential=" + MotoServer.ACCESS_KEY, "");
                if (text.contains(MotoServer.SECRET_KEY) || withoutLinks.contains(MotoServer.ACCESS_KEY)) {
                    found.add(home.relativize(f).toString());
                }
            }
        }
        assertEquals(List.of(), found, "the client's AWS key on the box");
        assertTrue(processes > 0 || !Files.exists(home.resolve(".cgrender/jobs")), "looked at the box's processes");
    }

    /** The job of the stand-in whose pid file names a live process. */
    private static Optional<Path> runningJob(Path home) {
        Path jobs = home.resolve(".cgrender/jobs");
        if (!Files.isDirectory(jobs)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(jobs)) {
            return dirs.filter(d -> {
                return JobProcess.isAlive(d.resolve(JobProcess.PID_FILE));
            }).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String jobLog(Path home) {
        try (Stream<Path> logs = Files.walk(home.resolve(".cgrender/jobs"))) {
            StringBuilder all = new StringBuilder();
            for (Path l : logs.filter(p -> p.getFileName().toString().equals("log")).toList()) {
                all.append(Files.readString(l));
            }
            return all.toString();
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private void writeConfig(String extra) throws IOException {
        user.configure(extra);
    }

    private static String jobId(Cli.Result r) {
        Matcher m = JOB.matcher(r.err());
        assertTrue(m.find(), r.toString());
        return m.group(1);
    }

    private byte[] object(String bucket, String key) {
        return s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    }

    private static Config json(byte[] bytes) {
        return ConfigFactory.parseString(new String(bytes, StandardCharsets.UTF_8), ConfigParseOptions.defaults()
                .setSyntax(ConfigSyntax.JSON));
    }

    private static String sha256(Path file) throws IOException {
        return java.util.HexFormat.of().formatHex(io.cgrender.core.sync.FileHashes.sha256digest(
                Files.readAllBytes(file)));
    }

    /** The first http link in {@code body} after {@code marker}. */
    private static String linkAfter(String body, String marker) {
        int at = body.indexOf(marker);
        assertTrue(at >= 0, body);
        Matcher m = Pattern.compile("http://\\S+").matcher(body.substring(at));
        assertTrue(m.find(), body);
        return m.group();
    }

    private Instance onlyInstance() {
        List<Instance> all = allInstances();
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    private List<Instance> allInstances() {
        return user.allInstances();
    }

    private List<Instance> live() {
        return user.live();
    }

    /** The instance profile associated with an instance. */
    private Optional<String> profileOf(String id) {
        return ec2.describeIamInstanceProfileAssociations(r -> r.filters(f -> f.name("instance-id").values(id)))
                .iamInstanceProfileAssociations().stream().map(a -> a.iamInstanceProfile().arn()).findFirst();
    }

    private Instance instance(String id) {
        return user.instance(id);
    }

    private void awaitState(String id, String state) throws InterruptedException {
        await(() -> state.equals(instance(id).state().nameAsString()), Duration.ofSeconds(60),
                () -> id + " is " + instance(id).state().nameAsString() + ", not " + state + "; its watchdog says:\n"
                        + Standins.watchdogLog(id));
    }

    private static void await(Supplier<Boolean> condition, Duration timeout, Supplier<String> otherwise)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toSeconds() + "s: " + otherwise.get());
            }
            Thread.sleep(200);
        }
    }
}
