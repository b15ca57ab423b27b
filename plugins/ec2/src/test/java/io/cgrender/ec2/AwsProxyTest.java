package io.cgrender.ec2;

import io.cgrender.testkit.Poll;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

import java.net.URI;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault-injecting AWS endpoint of the test kit, met by real SDK clients over real HTTP in front of moto: each
 * fault answers as AWS does, and only while it should, and everything else passes through unchanged.
 */
class AwsProxyTest {

    private static final String XENIAL = "ami-785db401";

    private MotoServer moto;
    private AwsProxy proxy;
    private Ec2Client direct;
    private Ec2Client viaProxy;

    @BeforeEach
    void start() {
        moto = MotoServer.shared();
        moto.reset();
        proxy = AwsProxy.to(moto.endpoint());
        direct = Ec2TestKit.client(moto);
        viaProxy = Ec2TestKit.client(proxy.endpoint());
    }

    @AfterEach
    void stop() {
        viaProxy.close();
        direct.close();
        proxy.close();
    }

    private String runInstance(Ec2Client ec2, String type, String subnet) {
        return ec2.runInstances(r -> {
            r.imageId(XENIAL).instanceType(type).minCount(1).maxCount(1);
            if (subnet != null) {
                r.subnetId(subnet);
            }
        }).instances().get(0).instanceId();
    }

    private static String errorCode(SdkException e) {
        return e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException s
                ? s.awsErrorDetails().errorCode() : "";
    }

    @Test
    void aNewInstanceIsUnknownForAWhileAndCallsNamingItDoNothing() {
        proxy.faults().hideNewInstancesFor(Duration.ofSeconds(2));
        String id = runInstance(viaProxy, "t3.micro", null);

        Ec2Exception unknown = assertThrows(Ec2Exception.class, () -> viaProxy.describeInstances(r -> r.instanceIds(id)));
        assertEquals("InvalidInstanceID.NotFound", errorCode(unknown));
        assertTrue(viaProxy.describeInstances().reservations().stream().flatMap(r -> r.instances().stream())
                .noneMatch(i -> i.instanceId().equals(id)), "a listing leaves the new instance out");
        Ec2Exception terminate = assertThrows(Ec2Exception.class,
                () -> viaProxy.terminateInstances(r -> r.instanceIds(id)));
        assertEquals("InvalidInstanceID.NotFound", errorCode(terminate));
        assertEquals("running", direct.describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances()
                .get(0).state().nameAsString(), "the refused TerminateInstances never reached moto");

        assertTrue(Poll.until(Duration.ofSeconds(10), () -> {
            try {
                return !viaProxy.describeInstances(r -> r.instanceIds(id)).reservations().isEmpty();
            } catch (Ec2Exception e) {
                return false;
            }
        }), "the instance becomes known once the delay has passed");
        assertTrue(viaProxy.describeInstances().reservations().stream().flatMap(r -> r.instances().stream())
                .anyMatch(i -> i.instanceId().equals(id)), "and listings show it");
    }

    @Test
    void throttledCallsAreRetriedByTheSdkAndRefusedWithoutRetries() {
        proxy.faults().throttleNext("DescribeInstances", 1);
        viaProxy.describeInstances();
        List<AwsProxy.Call> calls = proxy.calls("DescribeInstances");
        assertEquals(2, calls.size(), "the SDK retried the throttled call: " + calls);
        assertEquals("RequestLimitExceeded", calls.get(0).fault());
        assertEquals(503, calls.get(0).status());
        assertFalse(calls.get(1).faulted());

        proxy.faults().throttleEvery("ec2", 1);
        try (Ec2Client once = Ec2Client.builder().endpointOverride(URI.create(proxy.endpoint()))
                .region(Region.of(MotoServer.REGION)).credentialsProvider(Ec2TestKit.credentials())
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD).retryStrategy(b -> b.maxAttempts(1)))
                .build()) {
            Ec2Exception e = assertThrows(Ec2Exception.class, once::describeInstances);
            assertEquals("RequestLimitExceeded", errorCode(e));
            assertTrue(e.isThrottlingException(), "the SDK sees a throttling error");
        }
    }

    @Test
    void launchesInAZoneWithoutCapacityFailAndOtherZonesWork() {
        List<Subnet> subnets = direct.describeSubnets().subnets().stream()
                .sorted(Comparator.comparing(Subnet::availabilityZone)).toList();
        Subnet first = subnets.get(0);
        Subnet other = subnets.get(1);
        proxy.faults().noCapacity(first.availabilityZone(), "t3.micro");

        Ec2Exception e = assertThrows(Ec2Exception.class, () -> runInstance(viaProxy, "t3.micro", first.subnetId()));
        assertEquals("InsufficientInstanceCapacity", errorCode(e));
        assertTrue(e.getMessage().contains(first.availabilityZone()), e.getMessage());
        assertEquals("InsufficientInstanceCapacity", errorCode(assertThrows(Ec2Exception.class,
                () -> runInstance(viaProxy, "t3.micro", null))), "no subnet: the first zone, as moto places it");
        assertTrue(runInstance(viaProxy, "t3.micro", other.subnetId()).startsWith("i-"));
        assertTrue(runInstance(viaProxy, "t3.small", first.subnetId()).startsWith("i-"));
        assertEquals(2, direct.describeInstances().reservations().size(), "only the launches that worked happened");
    }

    @Test
    void aNewInstanceProfileAndNewRoleCredentialsAreRefusedForAWhile() {
        proxy.faults().slowIam(Duration.ofSeconds(2));
        String instance = runInstance(direct, "t3.micro", null);
        try (IamClient iam = IamClient.builder().endpointOverride(URI.create(proxy.endpoint()))
                .region(Region.AWS_GLOBAL).credentialsProvider(Ec2TestKit.credentials())
                .httpClient(UrlConnectionHttpClient.create()).build();
             StsClient sts = StsClient.builder().endpointOverride(URI.create(proxy.endpoint()))
                     .region(Region.of(MotoServer.REGION)).credentialsProvider(Ec2TestKit.credentials())
                     .httpClient(UrlConnectionHttpClient.create()).build()) {
            iam.createRole(r -> r.roleName("box").assumeRolePolicyDocument("{\"Version\":\"2012-10-17\","
                    + "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},"
                    + "\"Action\":\"sts:AssumeRole\"}]}"));
            String arn = iam.createInstanceProfile(r -> r.instanceProfileName("box")).instanceProfile().arn();

            Ec2Exception refused = assertThrows(Ec2Exception.class, () -> viaProxy.associateIamInstanceProfile(
                    r -> r.instanceId(instance).iamInstanceProfile(p -> p.arn(arn))));
            assertEquals("InvalidParameterValue", errorCode(refused));
            assertTrue(refused.getMessage().contains("Invalid IAM Instance Profile"), refused.getMessage());

            Credentials credentials = sts.assumeRole(r -> r.roleArn("arn:aws:iam::" + MotoServer.ACCOUNT
                    + ":role/box").roleSessionName(instance)).credentials();
            try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(proxy.endpoint()))
                    .region(Region.of(MotoServer.REGION)).forcePathStyle(true)
                    .httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                            credentials.accessKeyId(), credentials.secretAccessKey(), credentials.sessionToken())))
                    .build()) {
                S3Exception denied = assertThrows(S3Exception.class, s3::listBuckets);
                assertEquals("InvalidAccessKeyId", errorCode(denied));
                assertTrue(Poll.until(Duration.ofSeconds(10), () -> {
                    try {
                        s3.listBuckets();
                        return true;
                    } catch (S3Exception e) {
                        return false;
                    }
                }), "the credentials work once the delay has passed");
            }
            viaProxy.associateIamInstanceProfile(r -> r.instanceId(instance).iamInstanceProfile(p -> p.arn(arn)));
        }
    }

    @Test
    void consoleOutputIsEmptyForAWhileAfterLaunch() {
        proxy.faults().emptyConsoleFor(Duration.ofSeconds(2));
        String id = runInstance(viaProxy, "t3.micro", null);

        String early = viaProxy.getConsoleOutput(r -> r.instanceId(id)).output();
        assertTrue(early == null || early.isEmpty(), "no output yet: " + early);
        assertFalse(direct.getConsoleOutput(r -> r.instanceId(id)).output().isEmpty(), "moto itself has output");
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> {
            String output = viaProxy.getConsoleOutput(r -> r.instanceId(id)).output();
            return output != null && !output.isEmpty();
        }), "output once the delay has passed");
    }

    @Test
    void everythingElsePassesThroughUnchanged() {
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(proxy.endpoint()))
                .region(Region.of(MotoServer.REGION)).forcePathStyle(true).credentialsProvider(Ec2TestKit.credentials())
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            s3.createBucket(r -> r.bucket("results"));
            s3.putObject(r -> r.bucket("results").key("a/b.stl"), RequestBody.fromString("solid x\nendsolid x\n"));
            assertEquals(19L, s3.headObject(r -> r.bucket("results").key("a/b.stl")).contentLength());
            assertEquals("solid x\nendsolid x\n", s3.getObjectAsBytes(r -> r.bucket("results").key("a/b.stl"))
                    .asUtf8String());
            assertEquals(404, assertThrows(S3Exception.class,
                    () -> s3.headObject(r -> r.bucket("results").key("missing"))).statusCode());
        }
        String id = runInstance(viaProxy, "t3.micro", null);
        assertEquals(id, viaProxy.describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances().get(0)
                .instanceId());
        assertTrue(proxy.calls().stream().noneMatch(AwsProxy.Call::faulted), proxy.calls().toString());
        assertEquals(List.of("s3", "ec2"), proxy.calls().stream().map(AwsProxy.Call::service).distinct().toList());
    }
}
