package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.delivery.DeliveryJob;
import io.cgrender.core.delivery.DeliveryTarget;
import io.cgrender.core.delivery.EmailAddress;
import io.cgrender.core.delivery.PreparedDelivery;
import io.cgrender.core.delivery.ResultDelivery;
import io.cgrender.core.job.After;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.render.ResultStore;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import io.cgrender.ec2.testkit.Ec2TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The EC2 delivery's choices against moto, without a box: the default bucket and its settings, the fallback to
 * presigned URLs where IAM refuses, and that a presigned upload URL it hands a job is usable.
 */
class Ec2DeliveryTest {

    private static final Namespace NS = Namespace.parse("/fixture/", null);

    @TempDir
    Path temp;
    private Ec2Fixture fx;

    @BeforeEach
    void start() {
        fx = new Ec2Fixture(temp);
    }

    @AfterEach
    void stop() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void theDefaultBucketIsMadeOnFirstUsePrivateAndInTheRegion() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        DeliveryTarget target = delivery(cloud).target(Optional.empty(), Optional.empty(), After.KEEP);
        String bucket = ResultBucket.defaultName(io.cgrender.testkit.MotoServer.ACCOUNT, "us-east-1", NS);
        assertEquals("s3://" + bucket + "/", target.location());
        assertEquals(null, S3Location.bucketProblem(bucket), bucket);
        try (S3Client s3 = Ec2TestKit.s3(fx.moto)) {
            var block = s3.getPublicAccessBlock(r -> r.bucket(bucket)).publicAccessBlockConfiguration();
            assertTrue(block.blockPublicAcls() && block.ignorePublicAcls() && block.blockPublicPolicy()
                    && block.restrictPublicBuckets(), block.toString());
            assertTrue(s3.getBucketTagging(r -> r.bucket(bucket)).tagSet().stream()
                    .anyMatch(t -> t.key().equals("cgrender:namespace") && t.value().equals("/fixture/")));
        }
        assertTrue(fx.err.toString().contains("created bucket s3://" + bucket), fx.err.toString());
        // the second time it is there
        assertEquals(target, delivery(fx.cloud(Map.of())).target(Optional.empty(), Optional.empty(), After.KEEP));
    }

    @Test
    void whereIamRefusesTheBoxGetsPresignedUrlsAndTheUserIsTold() throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of(), UnaryOperator.identity(), iam -> refusing());
        Machine box = cloud.launch(fx.spec(NS, "probe-box"));
        Ec2TestKit.verifyEmail(fx.moto, "me@example.com");
        ResultDelivery delivery = delivery(cloud);
        DeliveryTarget target = delivery.target(Optional.empty(), Optional.of(new EmailAddress("me@example.com")),
                After.STOP);
        PreparedDelivery prepared = delivery.prepare(target, box, job());

        assertEquals("presigned", prepared.record().get(Ec2Delivery.ACCESS));
        assertEquals(1, prepared.notes().size(), prepared.notes().toString());
        String note = prepared.notes().get(0);
        assertTrue(note.startsWith("AWS refused to give box " + box.id() + " the instance profile cgrender_fixture_"
                + " (AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized to perform:"
                + " iam:GetRole"), note);
        assertTrue(note.contains("the box stores the results with URLs presigned for this job; it cannot mail by"
                + " itself, so cgrender mails me@example.com when it collects the job"), note);
        assertTrue(note.endsWith("--after stop terminates the box, which cannot stop itself without credentials"),
                note);
        assertTrue(prepared.script().matches("(?s).*\\nmode='?presigned'?\\n.*"), "the job stores with curl");

        // a presigned upload URL the job got works as it is
        Matcher put = Pattern.compile("\\t(http://\\S+/cube\\.stl\\?\\S+)\\t").matcher(prepared.script());
        assertTrue(put.find(), prepared.script());
        assertTrue(put.group(1).contains("X-Amz-SignedHeaders=host%3Bx-amz-expected-bucket-owner"), put.group(1));
        HttpResponse<String> stored = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(put.group(1)))
                .header("x-amz-expected-bucket-owner", MotoServer.ACCOUNT)
                .PUT(HttpRequest.BodyPublishers.ofString("solid x\nendsolid x\n")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, stored.statusCode(), stored.body());
        String location = prepared.record().get(JobRecord.LOCATION);
        S3Location where = S3Location.parse(location, "test");
        assertEquals("_fixture_/cube/j-20261125-010203-abcd/", where.prefix());
        try (S3Client s3 = Ec2TestKit.s3(fx.moto)) {
            assertEquals("solid x\nendsolid x\n", s3.getObjectAsBytes(r -> r.bucket(where.bucket())
                    .key(where.key("cube.stl"))).asUtf8String());
        }
    }

    @Test
    void nestedNamespacesSharingALocationCannotStoreIntoEachOthersResultsOrCache() {
        try (S3Client s3 = Ec2TestKit.s3(fx.moto)) {
            s3.createBucket(r -> r.bucket("shared-results"));
        }
        Namespace team = Namespace.parse("/team/", null);
        Namespace ci = Namespace.parse("/team/ci/", null);
        Map<Namespace, List<String>> written = new java.util.LinkedHashMap<>();
        for (Namespace ns : List.of(team, ci)) {
            Ec2Cloud cloud = fx.cloud(Map.of("cgrender.results.location", "s3://shared-results/renders"), ns);
            Machine box = cloud.launch(fx.spec(ns, "probe-box"));
            ResultDelivery delivery = delivery(cloud);
            DeliveryTarget target = delivery.target(Optional.empty(), Optional.empty(), After.KEEP);
            PreparedDelivery prepared = delivery.prepare(target, box, job());
            assertEquals("instance-profile", prepared.record().get(Ec2Delivery.ACCESS));
            S3Location results = S3Location.parse(prepared.record().get(JobRecord.LOCATION), "test");
            S3Location cache = S3Location.parse(delivery.store(target).location(), "test");
            written.put(ns, List.of(results.key("cube.stl"), results.key("manifest.json"), cache.key("k0.json"),
                    cache.key("k0/output")));
        }
        Map<String, List<String>> context = Map.of("s3:ResourceAccount", List.of(MotoServer.ACCOUNT));
        try (IamClient iam = Ec2TestKit.iam(fx.moto)) {
            for (Namespace writer : List.of(team, ci)) {
                for (Namespace owner : List.of(team, ci)) {
                    for (String key : written.get(owner)) {
                        assertEquals(writer.equals(owner), IamPolicy.roleAllows(iam, BoxProfile.name(writer),
                                "s3:PutObject", "arn:aws:s3:::shared-results/" + key, context),
                                "may the boxes of " + writer + " store " + key + "?");
                    }
                }
            }
        }
        assertEquals("renders/_team_ci_/cube/j-20261125-010203-abcd/cube.stl", written.get(ci).get(0));
    }

    @Test
    void aCacheHitIsDeliveredOnlyWithTheHashRecordedWhenItWasStoredAndFromTheNamespacesOwnPart() throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of());
        ResultDelivery delivery = delivery(cloud);
        DeliveryTarget target = delivery.target(Optional.empty(), Optional.empty(), After.KEEP);
        ResultStore store = delivery.store(target);
        S3Location cache = S3Location.parse(store.location(), "test");
        Path rendered = java.nio.file.Files.writeString(temp.resolve("cube.stl"), "solid cube\nendsolid cube\n");
        store.put("k1", Map.of("output", rendered));
        Path hit = temp.resolve("hit.stl");
        assertTrue(store.fetch("k1", Map.of("output", hit)));
        assertEquals("solid cube\nendsolid cube\n", java.nio.file.Files.readString(hit));

        try (S3Client s3 = Ec2TestKit.s3(fx.moto)) {
            // the stored output replaced afterwards: not what was stored, so not delivered
            s3.putObject(r -> r.bucket(cache.bucket()).key(cache.key("k1/output")),
                    RequestBody.fromString("solid evil\nendsolid evil\n"));
            Path replaced = temp.resolve("replaced.stl");
            assertFalse(store.fetch("k1", Map.of("output", replaced)));
            assertFalse(java.nio.file.Files.exists(replaced));
            assertTrue(fx.err.toString().contains("warning: cache entry " + cache.uriOf(cache.key("k1.json")) + ": "
                    + cache.uriOf(cache.key("k1/output")) + " is not what was stored (SHA-256 "), fx.err.toString());

            // an entry with the right hash, but of an object outside the namespace's part of the location
            s3.putObject(r -> r.bucket(cache.bucket()).key("elsewhere/cube.stl"),
                    RequestBody.fromFile(rendered));
            s3.putObject(r -> r.bucket(cache.bucket()).key(cache.key("k2.json")), RequestBody.fromString(
                    S3ResultStore.entry("", Map.of("output", "elsewhere/cube.stl"), Map.of("output",
                            new io.cgrender.core.sync.FileHashes().of(rendered).sha256()))));
            assertFalse(store.fetch("k2", Map.of("output", temp.resolve("elsewhere.stl"))));
            assertTrue(fx.err.toString().contains("points outside s3://" + cache.bucket() + "/_fixture_/, at s3://"
                    + cache.bucket() + "/elsewhere/cube.stl; not using it"), fx.err.toString());
        }
    }

    @Test
    void everyReadAndWriteOfResultsNamesTheAccountThatMustOwnTheBucket() throws Exception {
        try (AwsProxy recorder = AwsProxy.to(fx.moto.endpoint())) {
            Ec2Cloud cloud = fx.cloud(Map.of("cgrender.aws.endpoint", recorder.endpoint()));
            ResultDelivery delivery = delivery(cloud);
            DeliveryTarget target = delivery.target(Optional.empty(), Optional.empty(), After.KEEP);
            ResultStore store = delivery.store(target);
            Path rendered = java.nio.file.Files.writeString(temp.resolve("cube.stl"), "solid cube\nendsolid cube\n");
            store.put("k1", Map.of("output", rendered));
            assertTrue(store.fetch("k1", Map.of("output", temp.resolve("hit.stl"))));
            assertFalse(store.fetch("k2", Map.of("output", temp.resolve("miss.stl"))));
            JobRecord record = new JobRecord("j-20261125-010203-abcd", "render", "ec2", "/fixture/", "i-0", "r", "t",
                    java.time.Instant.now(), io.cgrender.core.job.JobStatus.Stage.SUCCEEDED, List.of(), Map.of(),
                    Map.of(JobRecord.LOCATION, store.location()));
            assertFalse(delivery.downloadLog(record, temp.resolve("render.log")), "no log stored");
            assertTrue(delivery.delivered(record).isEmpty(), "no manifest stored");

            List<AwsProxy.Call> objects = recorder.calls().stream()
                    .filter(c -> c.service().equals("s3") && c.action().endsWith("Object")).toList();
            assertTrue(objects.size() >= 6, "puts and gets of objects: " + objects);
            for (AwsProxy.Call c : objects) {
                assertEquals(List.of(MotoServer.ACCOUNT), c.headers().get("x-amz-expected-bucket-owner"), c.action());
            }
        }
    }

    @Test
    void whenTheInstanceProfileIsRequiredARefusalIsAnError() {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.ec2.results.box-access", "instance-profile"),
                UnaryOperator.identity(), iam -> refusing());
        Machine box = cloud.launch(fx.spec(NS, "probe-box"));
        ResultDelivery delivery = delivery(cloud);
        DeliveryTarget target = delivery.target(Optional.empty(), Optional.empty(), After.KEEP);
        CgrenderException e = assertThrows(CgrenderException.class, () -> delivery.prepare(target, box, job()));
        assertTrue(e.getMessage().startsWith("not allowed giving box " + box.id() + " the instance profile"
                + " cgrender_fixture_"), e.getMessage());
    }

    @Test
    void badResultSettingsAreRefusedWhenTheCloudOpens() {
        UsageException expiry = assertThrows(UsageException.class,
                () -> fx.cloud(Map.of("cgrender.results.link-expiry", "8d")));
        assertTrue(expiry.getMessage().contains("at most 7d"), expiry.getMessage());
        UsageException access = assertThrows(UsageException.class,
                () -> fx.cloud(Map.of("cgrender.ec2.results.box-access", "keys")));
        assertTrue(access.getMessage().contains("auto, instance-profile or presigned"), access.getMessage());
        UsageException from = assertThrows(UsageException.class,
                () -> fx.cloud(Map.of("cgrender.notify.from", "me at example")));
        assertTrue(from.getMessage().startsWith("cgrender.notify.from 'me at example' is not an email address"));
    }

    // ---------------------------------------------------------------- helpers

    private static ResultDelivery delivery(Ec2Cloud cloud) {
        return cloud.delivery().orElseThrow();
    }

    private static DeliveryJob job() {
        String dir = ".cgrender/jobs/j-20261125-010203-abcd";
        return new DeliveryJob("j-20261125-010203-abcd", dir, "cube", "cube.scad", "exit 0",
                List.of(new DeliveryJob.File("cube.stl", dir + "/out/t0.stl", dir + "/out/t0.exit")), List.of(),
                List.of(dir + "/out"), Map.of("job", "j-20261125-010203-abcd"));
    }

    /** An IAM client that refuses every call, as IAM does for a user without IAM permissions. */
    private static IamClient refusing() {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.isDefault() && args != null && args.length == 1
                    && args[0] instanceof java.util.function.Consumer) {
                return InvocationHandler.invokeDefault(proxy, method, args); // builds the request, calls the other
            }
            if (method.getName().equals("close")) {
                return null;
            }
            if (method.getName().equals("serviceName")) {
                return "iam";
            }
            throw IamException.builder().statusCode(403).awsErrorDetails(AwsErrorDetails.builder()
                    .errorCode("AccessDenied").errorMessage("User: arn:aws:iam::123456789012:user/dev is not"
                            + " authorized to perform: iam:" + Character.toUpperCase(method.getName().charAt(0))
                            + method.getName().substring(1)).build()).build();
        };
        return (IamClient) Proxy.newProxyInstance(IamClient.class.getClassLoader(), new Class<?>[] {IamClient.class},
                handler);
    }
}
