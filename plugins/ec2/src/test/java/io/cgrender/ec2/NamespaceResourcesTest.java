package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeKeyPairsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.GetInstanceProfileRequest;
import software.amazon.awssdk.services.iam.model.GetInstanceProfileResponse;
import software.amazon.awssdk.services.iam.model.GetRoleRequest;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.ListRolePoliciesRequest;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListBucketsRequest;
import software.amazon.awssdk.services.s3.model.ListBucketsResponse;
import software.amazon.awssdk.services.s3.model.Tag;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;

/**
 * A namespace's one-time resources on EC2 — key pair, security group, IAM role and instance profile, results bucket —
 * when several clients first use the namespace at the same moment, against moto: one of each, and no client fails.
 * Concurrent clients reach moto through {@link AwsProxy#oneRequestAtATime}, which makes each of moto's creates atomic,
 * as AWS's are. moto answers consistently, so AWS's window in which a create says a resource exists while describe does not
 * show it yet is a seam: a client whose first lookups miss what another client has just made.
 */
class NamespaceResourcesTest {

    private static final Namespace NS = Namespace.parse("/crowd/", null);
    private static final String NAME = "cgrender_crowd_";
    private static final Duration POLL = Duration.ofMillis(50);

    @TempDir
    Path temp;
    private Ec2Fixture fx;

    @BeforeEach
    void start() {
        fx = new Ec2Fixture(temp);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (fx != null) {
                fx.close();
            }
        } finally {
            proxies.forEach(AwsProxy::close);
        }
    }

    private final List<AwsProxy> proxies = new ArrayList<>();

    private AwsProxy closedAfter(AwsProxy proxy) {
        proxies.add(proxy);
        return proxy;
    }

    /** What one client got. */
    private record FirstUse(NamespaceKeyPair.Ensured keyPair, NamespaceSecurityGroup.Ensured group, String profile,
                            S3Location bucket) {
    }

    @Test
    void clientsFirstUsingANamespaceAtOnceMakeOneOfEachAndNoneFails() throws Exception {
        int clients = 6;
        AwsProxy atomic = closedAfter(AwsProxy.oneRequestAtATime(fx.moto.endpoint()));
        List<Ec2Cloud> clouds = IntStream.range(0, clients).mapToObj(i -> fx.cloud(Map.of("cgrender.aws.endpoint",
                atomic.endpoint()))).toList();
        CyclicBarrier together = new CyclicBarrier(clients);

        List<FirstUse> uses = concurrently(clients, i -> {
            Ec2Cloud cloud = clouds.get(i);
            together(together);
            NamespaceKey key = NamespaceKey.loadOrCreate(fx.dirs.keys(), NS);
            together(together);
            var keyPair = cloud.keyPairs().ensure(NS, key.publicKeyLine(), key.privateKeyFile().toString());
            together(together);
            var group = cloud.securityGroups().ensure(NS);
            together(together);
            String profile = new BoxProfile(cloud.aws(), fx.console, POLL).ensure(NS, grants(i), MotoServer.ACCOUNT);
            together(together);
            S3Location bucket = new ResultBucket(cloud.aws(), fx.console, POLL).resolve(Optional.empty(), "test", NS);
            return new FirstUse(keyPair, group, profile, bucket);
        });

        assertEquals(Set.of(NAME), uses.stream().map(u -> u.keyPair().name()).collect(Collectors.toSet()));
        assertEquals(1, uses.stream().filter(u -> u.keyPair().created()).count(), "one client imported it");
        assertEquals(List.of(NAME), fx.ec2.describeKeyPairs().keyPairs().stream().map(k -> k.keyName()).toList());
        assertTrue(fx.ec2.describeKeyPairs(r -> r.keyNames(NAME).includePublicKey(true)).keyPairs().get(0)
                .publicKey().startsWith(fx.key(NS).publicKeyLine()), "the key of this machine's key file");

        List<SecurityGroup> groups = fx.ec2.describeSecurityGroups(r -> r.filters(Filter.builder()
                .name("group-name").values(NAME).build())).securityGroups();
        assertEquals(1, groups.size(), groups.toString());
        assertEquals(Set.of(groups.get(0).groupId()), uses.stream().map(u -> u.group().groupId())
                .collect(Collectors.toSet()));
        assertEquals(1, uses.stream().filter(u -> u.group().created()).count(), "one client made it");
        assertEquals(List.of("127.0.0.1/32"), sshSources(groups.get(0)));

        try (IamClient iam = Ec2TestKit.iam(fx.moto)) {
            assertEquals(List.of(NAME), iam.listRoles(r -> r.pathPrefix(BoxProfile.PATH)).roles().stream()
                    .map(r -> r.roleName()).toList());
            List<InstanceProfile> profiles = iam.listInstanceProfiles(r -> r.pathPrefix(BoxProfile.PATH))
                    .instanceProfiles();
            assertEquals(List.of(NAME), profiles.stream().map(p -> p.instanceProfileName()).toList());
            assertEquals(List.of(NAME), profiles.get(0).roles().stream().map(r -> r.roleName()).toList());
            assertEquals(Set.of(profiles.get(0).arn()), uses.stream().map(FirstUse::profile)
                    .collect(Collectors.toSet()));
            String policies = policies(iam);
            for (int i = 0; i < clients; i++) {
                for (String granted : grants(i).objectArns()) {
                    assertTrue(policies.contains("\"Resource\":[\"" + granted + "\"]"), "client " + i + "'s location"
                            + " is granted: " + policies);
                }
                assertTrue(policies.contains("\"ses:FromAddress\":\"" + grants(i).mails().get(0).from() + "\""),
                        "client " + i + "'s sender is granted: " + policies);
            }
        }
        assertEquals(1, fx.err.toString().lines().filter(l -> l.startsWith("created IAM role")).count(),
                fx.err.toString());

        String bucket = ResultBucket.defaultName(MotoServer.ACCOUNT, MotoServer.REGION, NS);
        assertEquals(Set.of(new S3Location(bucket, "")), uses.stream().map(FirstUse::bucket)
                .collect(Collectors.toSet()));
        try (S3Client s3 = Ec2TestKit.s3(fx.moto)) {
            assertEquals(List.of(bucket), s3.listBuckets().buckets().stream().map(b -> b.name()).toList());
            assertConfigured(s3, bucket);
        }
    }

    @Test
    void twoMachinesFirstUsingANamespaceAtOnceOneImportsItsKeyTheOtherIsToldToRegisterIts() throws Exception {
        List<NamespaceKey> keys = List.of(NamespaceKey.loadOrCreate(temp.resolve("laptop/keys"), NS),
                NamespaceKey.loadOrCreate(temp.resolve("desktop/keys"), NS));
        AwsProxy atomic = closedAfter(AwsProxy.oneRequestAtATime(fx.moto.endpoint()));
        List<Ec2Cloud> clouds = List.of(fx.cloud(Map.of("cgrender.aws.endpoint", atomic.endpoint())),
                fx.cloud(Map.of("cgrender.aws.endpoint", atomic.endpoint())));
        CyclicBarrier together = new CyclicBarrier(2);

        List<String> outcomes = concurrently(2, i -> {
            NamespaceKey key = keys.get(i);
            together(together);
            try {
                clouds.get(i).keyPairs().ensure(NS, key.publicKeyLine(), key.privateKeyFile().toString());
                return "imported";
            } catch (CgrenderException refused) {
                return refused.getMessage() + "\n" + refused.hint().orElse("");
            }
        });

        int winner = outcomes.indexOf("imported");
        assertTrue(winner >= 0 && outcomes.lastIndexOf("imported") == winner, outcomes.toString());
        String refusal = outcomes.get(1 - winner);
        assertTrue(refusal.contains("the EC2 key pair " + NAME + " in us-east-1 holds another key")
                && refusal.contains("this machine's key is not registered") && refusal.endsWith("\nfix: cgrender"
                + " register-key NAME " + keys.get(1 - winner).privateKeyFile() + ".pub"), refusal);
        assertFalse(refusal.toLowerCase().contains("copy"), "never advice to copy a private key: " + refusal);
        assertTrue(fx.ec2.describeKeyPairs(r -> r.keyNames(NAME).includePublicKey(true)).keyPairs().get(0)
                .publicKey().startsWith(keys.get(winner).publicKeyLine()), "the key pair holds the winner's key");
    }

    @Test
    void aKeyPairAnotherClientHasJustImportedIsWaitedForUntilEc2ShowsIt() {
        String publicKey = fx.key(NS).publicKeyLine();
        fx.ec2.importKeyPair(r -> r.keyName(NAME).publicKeyMaterial(SdkBytes.fromUtf8String(publicKey)));
        AtomicInteger misses = new AtomicInteger(2);
        Ec2Cloud cloud = fx.cloud(Map.of(), real -> {
            Ec2Client mock = Ec2Fixture.delegating(Ec2Client.class, real);
            doAnswer(call -> {
                if (misses.getAndDecrement() > 0) {
                    throw Ec2Fixture.ec2Error("InvalidKeyPair.NotFound", "The key pair '" + NAME + "' does not exist");
                }
                return real.describeKeyPairs((DescribeKeyPairsRequest) call.getArgument(0));
            }).when(mock).describeKeyPairs(any(DescribeKeyPairsRequest.class));
            return mock;
        });

        assertEquals(new NamespaceKeyPair.Ensured(NAME, false), cloud.keyPairs().ensure(NS, publicKey, "key"));
        assertEquals(-1, misses.get(), "described before the import, twice not shown, then shown");
    }

    @Test
    void aGroupAnotherClientHasJustMadeIsWaitedForAndEachMissingRuleIsAddedOnItsOwn() {
        String vpc = fx.ec2.describeVpcs(r -> r.filters(Filter.builder().name("is-default").values("true").build()))
                .vpcs().get(0).vpcId();
        String theirs = fx.ec2.createSecurityGroup(r -> r.groupName(NAME).vpcId(vpc).description("made a moment ago"))
                .groupId();
        fx.ec2.authorizeSecurityGroupIngress(r -> r.groupId(theirs).ipPermissions(p -> p.ipProtocol("tcp")
                .fromPort(22).toPort(22).ipRanges(range -> range.cidrIp("127.0.0.1/32"))));
        AtomicInteger calls = new AtomicInteger();
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.ec2.ssh-cidrs", List.of("127.0.0.1/32", "127.0.0.2/32")), real -> {
            Ec2Client mock = Ec2Fixture.delegating(Ec2Client.class, real);
            doAnswer(call -> {
                DescribeSecurityGroupsResponse answer = real.describeSecurityGroups(
                        (DescribeSecurityGroupsRequest) call.getArgument(0));
                return switch (calls.incrementAndGet()) {
                    case 1, 2 -> DescribeSecurityGroupsResponse.builder().build(); // not shown yet
                    case 3 -> answer.toBuilder().securityGroups(answer.securityGroups().stream() // nor its rule
                            .map(g -> g.toBuilder().ipPermissions(List.of()).build()).toList()).build();
                    default -> answer;
                };
            }).when(mock).describeSecurityGroups(any(DescribeSecurityGroupsRequest.class));
            return mock;
        });

        assertEquals(new NamespaceSecurityGroup.Ensured(theirs, false), cloud.securityGroups().ensure(NS));
        assertEquals(3, calls.get(), "looked up before the create, then until the group was shown");
        SecurityGroup group = fx.ec2.describeSecurityGroups(r -> r.groupIds(theirs)).securityGroups().get(0);
        assertEquals(List.of("127.0.0.1/32", "127.0.0.2/32"), sshSources(group),
                "the rule another client added stops neither this one's nor the group");
        assertEquals(1, fx.ec2.describeSecurityGroups(r -> r.filters(Filter.builder().name("group-name").values(NAME)
                .build())).securityGroups().size());
    }

    @Test
    void aRoleAndInstanceProfileAnotherClientHasJustMadeAreWaitedForUntilIamShowsThem() {
        String arn;
        try (IamClient iam = Ec2TestKit.iam(fx.moto)) {
            iam.createRole(r -> r.roleName(NAME).path(BoxProfile.PATH).assumeRolePolicyDocument(BoxProfile.TRUST));
            arn = iam.createInstanceProfile(r -> r.instanceProfileName(NAME).path(BoxProfile.PATH)).instanceProfile()
                    .arn();
            iam.addRoleToInstanceProfile(r -> r.instanceProfileName(NAME).roleName(NAME));
        }
        AtomicInteger roleLookups = new AtomicInteger();
        AtomicInteger policyLookups = new AtomicInteger();
        AtomicInteger profileLookups = new AtomicInteger();
        Ec2Cloud cloud = fx.cloud(Map.of(), UnaryOperator.identity(), real -> {
            IamClient mock = Ec2Fixture.delegating(IamClient.class, real);
            doAnswer(call -> {
                if (roleLookups.incrementAndGet() == 1) {
                    throw noSuchEntity("The role with name " + NAME + " cannot be found.");
                }
                return real.getRole((GetRoleRequest) call.getArgument(0));
            }).when(mock).getRole(any(GetRoleRequest.class));
            doAnswer(call -> {
                if (policyLookups.incrementAndGet() == 1) {
                    throw noSuchEntity("The role with name " + NAME + " cannot be found.");
                }
                return real.listRolePolicies((ListRolePoliciesRequest) call.getArgument(0));
            }).when(mock).listRolePolicies(any(ListRolePoliciesRequest.class));
            doAnswer(call -> {
                GetInstanceProfileResponse answer = real.getInstanceProfile((GetInstanceProfileRequest) call
                        .getArgument(0));
                return switch (profileLookups.incrementAndGet()) {
                    case 1 -> throw noSuchEntity("Instance profile " + NAME + " not found");
                    case 2 -> answer.toBuilder().instanceProfile(answer.instanceProfile().toBuilder()
                            .roles(List.of()).build()).build(); // shown, its role not yet
                    default -> answer;
                };
            }).when(mock).getInstanceProfile(any(GetInstanceProfileRequest.class));
            return mock;
        });

        String got = new BoxProfile(cloud.aws(), fx.console, POLL).ensure(NS, grants(0), MotoServer.ACCOUNT);

        assertEquals(arn, got);
        assertEquals(List.of(1, 2, 3), List.of(roleLookups.get(), policyLookups.get(), profileLookups.get()),
                "not shown: the role, its policies at first, the profile; then the profile without its role");
        assertFalse(fx.err.toString().contains("created IAM role"), fx.err.toString());
        try (IamClient iam = Ec2TestKit.iam(fx.moto)) {
            assertEquals(List.of(NAME), iam.getInstanceProfile(r -> r.instanceProfileName(NAME)).instanceProfile()
                    .roles().stream().map(r -> r.roleName()).toList());
            assertTrue(policies(iam).contains(grants(0).objectArns().get(0)), "granted in the other client's role");
        }
    }

    @Test
    void aDefaultBucketAnotherClientIsStillMakingIsConfiguredByWhoeverFindsIt() {
        String bucket = ResultBucket.defaultName(MotoServer.ACCOUNT, MotoServer.REGION, NS);
        try (S3Client s3 = Ec2TestKit.s3(fx.moto)) {
            s3.createBucket(r -> r.bucket(bucket)); // made a moment ago, not configured yet
            s3.putBucketTagging(r -> r.bucket(bucket).tagging(t -> t.tagSet(Tag.builder().key("team").value("ci")
                    .build())));
        }
        Ec2Cloud cloud = fx.cloud(Map.of());
        S3Client real = cloud.aws().s3();
        S3Client s3 = Ec2Fixture.delegating(S3Client.class, real);
        AtomicInteger listings = new AtomicInteger();
        doAnswer(call -> listings.incrementAndGet() == 1 ? ListBucketsResponse.builder().build()
                : real.listBuckets((ListBucketsRequest) call.getArgument(0)))
                .when(s3).listBuckets(any(ListBucketsRequest.class));

        S3Location got = new ResultBucket(cloud.aws().withS3(s3), fx.console, POLL).resolve(Optional.empty(), "test",
                NS);

        assertEquals(new S3Location(bucket, ""), got);
        assertEquals(2, listings.get(), "the account's list did not show it at first, then did");
        try (S3Client check = Ec2TestKit.s3(fx.moto)) {
            assertConfigured(check, bucket);
            assertTrue(check.getBucketTagging(r -> r.bucket(bucket)).tagSet().stream()
                    .anyMatch(t -> t.key().equals("team") && t.value().equals("ci")), "other tags are kept");
        }
        assertFalse(fx.err.toString().contains("created bucket"), fx.err.toString());
    }

    // ---------------------------------------------------------------- helpers

    /** Client {@code i}'s grants: a results location and a mail of its own. */
    private static BoxProfile.Grants grants(int i) {
        return new BoxProfile.Grants(List.of("arn:aws:s3:::results-" + i + "/crowd/*"),
                List.of(new BoxProfile.Mail("client-" + i + "@example.com", "client-" + i + "@example.com")));
    }

    /** Every inline policy document of the namespace's role, one after the other. */
    private static String policies(IamClient iam) {
        return iam.listRolePolicies(r -> r.roleName(NAME)).policyNames().stream()
                .map(p -> URLDecoder.decode(iam.getRolePolicy(r -> r.roleName(NAME).policyName(p)).policyDocument(),
                        StandardCharsets.UTF_8))
                .collect(Collectors.joining("\n"));
    }

    private static void assertConfigured(S3Client s3, String bucket) {
        var block = s3.getPublicAccessBlock(r -> r.bucket(bucket)).publicAccessBlockConfiguration();
        assertTrue(block.blockPublicAcls() && block.ignorePublicAcls() && block.blockPublicPolicy()
                && block.restrictPublicBuckets(), block.toString());
        assertTrue(s3.getBucketTagging(r -> r.bucket(bucket)).tagSet().stream()
                .anyMatch(t -> t.key().equals(Tags.NAMESPACE) && t.value().equals(NS.toString())), "tagged");
    }

    private static List<String> sshSources(SecurityGroup group) {
        return group.ipPermissions().stream().filter(p -> p.fromPort() == 22)
                .flatMap((IpPermission p) -> p.ipRanges().stream()).map(r -> r.cidrIp()).sorted().toList();
    }

    private static NoSuchEntityException noSuchEntity(String message) {
        return (NoSuchEntityException) NoSuchEntityException.builder().statusCode(404).message(message)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("NoSuchEntity").errorMessage(message).build())
                .build();
    }

    /** Waits for the other clients at {@code barrier}, so that they all take the next step at the same moment. */
    private static void together(CyclicBarrier barrier) {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException | BrokenBarrierException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("another client failed or hung: " + e, e);
        }
    }

    /** Runs {@code client} 0 … n-1 on threads of their own; their results in order, or the first real failure. */
    private static <T> List<T> concurrently(int n, IntFunction<T> client) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = IntStream.range(0, n).mapToObj(i -> pool.submit(() -> client.apply(i))).toList();
            List<T> results = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    results.add(f.get(3, TimeUnit.MINUTES));
                } catch (ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
            if (!failures.isEmpty()) {
                failures.sort((a, b) -> Boolean.compare(a instanceof IllegalStateException,
                        b instanceof IllegalStateException)); // the cause first, the clients it stopped after
                AssertionError error = new AssertionError("a client failed: " + failures.get(0), failures.get(0));
                failures.stream().skip(1).forEach(error::addSuppressed);
                throw error;
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
