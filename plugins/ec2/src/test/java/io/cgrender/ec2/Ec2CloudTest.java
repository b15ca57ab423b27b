package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Garbage;
import io.cgrender.core.cloud.GarbageCollection;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ui.Progress;
import io.cgrender.ec2.testkit.Standins;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;

/**
 * What the EC2 cloud does beyond the contract, checked in moto's state: how instances are launched (tags, user data,
 * shutdown behaviour, key pair, security group, image), what is refused before anything is launched, how failures
 * are cleaned up, garbage collection and adoption.
 */
class Ec2CloudTest {

    private static final Namespace NS = Namespace.parse("/alpha/", null);
    private static final Namespace OTHER = Namespace.parse("/beta/", null);
    /** moto's Canonical images: Ubuntu 14.04 and 16.04. */
    private static final String TRUSTY = "ami-1e749f67";
    private static final String XENIAL = "ami-785db401";
    /** moto's Amazon Linux 2 image, of Amazon's account. */
    private static final String AMAZON_LINUX_2 = "ami-04681a1dbd79675a5";

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

    // ---------------------------------------------------------------- launch

    @Test
    void aBoxWithNoExpiryIsLaunchedWithoutOneAndABoxWithALifetimeWithItsOwn() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        LaunchSpec spec = fx.spec(NS, "probe-box");
        Map<String, String> untimed = new java.util.HashMap<>(spec.tags());
        untimed.remove(io.cgrender.core.ns.Tags.EXPIRES_AT);
        Machine none = cloud.launch(new LaunchSpec(spec.namespace(), spec.role(), spec.machine(), untimed,
                spec.authorizedKey(), spec.idleTimeout(), spec.maxLifetime(), spec.orphanTimeout(), spec.image(),
                spec.instanceType(), false, false));
        Map<String, String> tags = tags(fx.instance(none.id()).tags());
        assertFalse(tags.containsKey(io.cgrender.core.ns.Tags.EXPIRES_AT), tags.toString());
        assertFalse(tags.containsKey(io.cgrender.core.ns.Tags.MAX_LIFETIME), tags.toString());
        assertTrue(userData(none.id()).contains("expires_at=\"${CGRENDER_EXPIRES_AT:-}\""), userData(none.id()));

        Instant expiresAt = Instant.now().plus(Duration.ofHours(24)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        LaunchSpec day = fx.spec(NS, "probe-box", expiresAt);
        Machine timed = cloud.launch(new LaunchSpec(day.namespace(), day.role(), day.machine(), day.tags(),
                day.authorizedKey(), day.idleTimeout(), Duration.ofHours(24), day.orphanTimeout(), day.image(),
                day.instanceType(), false, true));
        Map<String, String> timedTags = tags(fx.instance(timed.id()).tags());
        assertEquals("PT24H", timedTags.get(io.cgrender.core.ns.Tags.MAX_LIFETIME));
        assertEquals(expiresAt, Instant.parse(timedTags.get(io.cgrender.core.ns.Tags.EXPIRES_AT)));
        assertTrue(userData(timed.id()).contains("expires_at=\"${CGRENDER_EXPIRES_AT:-" + expiresAt.getEpochSecond()
                + "}\""), userData(timed.id()));
    }

    private String userData(String id) {
        return new String(Base64.getDecoder().decode(fx.ec2.describeInstanceAttribute(r -> r.instanceId(id)
                .attribute("userData")).userData().value()), StandardCharsets.UTF_8);
    }

    @Test
    void launchesTaggedWithTheWatchdogTerminateOnShutdownAndTheNamespacesKeyAndGroup() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        Machine machine = cloud.launch(fx.spec(NS, "probe-box"));
        Instance instance = fx.instance(machine.id());

        assertEquals("terminate", fx.ec2.describeInstanceAttribute(r -> r.instanceId(machine.id())
                .attribute("instanceInitiatedShutdownBehavior")).instanceInitiatedShutdownBehavior().value());
        String userData = new String(Base64.getDecoder().decode(fx.ec2.describeInstanceAttribute(r -> r
                .instanceId(machine.id()).attribute("userData")).userData().value()), StandardCharsets.UTF_8);
        assertTrue(userData.contains("systemctl restart cgrender-watchdog.service"), userData);
        assertTrue(userData.contains("ExecStart=/usr/local/lib/cgrender/boot.sh"), "the boot script runs every boot");
        assertTrue(userData.contains("CGRENDER_IDLE_SECONDS:-1800"), "the idle timeout is baked in");

        Map<String, String> tags = tags(instance.tags());
        for (String key : List.of(Tags.NAMESPACE, Tags.ROLE, Tags.GENERATION, Tags.EXPIRES_AT, Tags.STAGE, Tags.NAME,
                Tags.LOGIN_USER)) {
            assertTrue(tags.containsKey(key), key + " missing: " + tags);
        }
        assertEquals("/alpha/", tags.get(Tags.NAMESPACE));
        assertEquals("/alpha/probe-box", tags.get(Tags.NAME));
        List<Volume> volumes = fx.ec2.describeVolumes(r -> r.filters(Filter.builder().name("attachment.instance-id")
                .values(machine.id()).build())).volumes();
        assertFalse(volumes.isEmpty());
        for (Volume v : volumes) {
            assertEquals("/alpha/", tags(v.tags()).get(Tags.NAMESPACE), "volumes are tagged on create");
            assertEquals(tags.get(Tags.EXPIRES_AT), tags(v.tags()).get(Tags.EXPIRES_AT));
        }

        assertEquals("t3.micro", instance.instanceTypeAsString(), "the role's recommendation");
        assertEquals(XENIAL, instance.imageId(), "no SSM parameter in moto: the newest Canonical LTS image");
        assertEquals("required", instance.metadataOptions().httpTokensAsString());
        assertEquals("cgrender_alpha_", instance.keyName());
        KeyPairInfo key = fx.ec2.describeKeyPairs(r -> r.keyNames("cgrender_alpha_").includePublicKey(true))
                .keyPairs().get(0);
        assertTrue(key.publicKey().startsWith(fx.key(NS).publicKeyLine()), "the namespace's own key");
        assertEquals("/alpha/", tags(key.tags()).get(Tags.NAMESPACE));
        SecurityGroup group = group(instance.securityGroups().get(0).groupId());
        assertEquals("cgrender_alpha_", group.groupName());
        assertEquals("/alpha/", tags(group.tags()).get(Tags.NAMESPACE));
        IpPermission ssh = group.ipPermissions().get(0);
        assertEquals(List.of(22, 22, 1), List.of(ssh.fromPort(), ssh.toPort(), group.ipPermissions().size()));
        assertEquals(List.of("127.0.0.1/32"), ssh.ipRanges().stream().map(r -> r.cidrIp()).toList(),
                "the configured CIDR only");

        Machine second = cloud.launch(fx.spec(NS, "probe-box"));
        assertEquals(group.groupId(), fx.instance(second.id()).securityGroups().get(0).groupId(), "group reused");
        Machine other = cloud.launch(fx.spec(OTHER, "probe-box"));
        Instance otherInstance = fx.instance(other.id());
        assertEquals("cgrender_beta_", otherInstance.keyName(), "each namespace has its own key pair");
        assertNotEquals(group.groupId(), otherInstance.securityGroups().get(0).groupId(), "and its own group");
    }

    @Test
    void aKeyPairOfTheSameNameWithAnotherKeyIsRefusedNotOverwritten() {
        String foreign = KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
        fx.ec2.importKeyPair(r -> r.keyName("cgrender_alpha_").publicKeyMaterial(SdkBytes.fromUtf8String(foreign)));
        Ec2Cloud cloud = fx.cloud(Map.of());

        CgrenderException e = assertThrows(UsageException.class, () -> cloud.launch(fx.spec(NS, "probe-box")));
        assertTrue(e.getMessage().contains("key pair cgrender_alpha_") && e.getMessage().contains("another key")
                && e.getMessage().contains(fx.dirs.keys().resolve("_alpha_").toString()), e.getMessage());
        assertEquals(Optional.of("fix: cgrender register-key NAME " + fx.dirs.keys().resolve("_alpha_.pub")),
                e.hint(), "this machine's key is to be registered, never a private key copied");
        assertEquals(List.of(), fx.liveInstances(), "nothing launched");
        String kept = fx.ec2.describeKeyPairs(r -> r.keyNames("cgrender_alpha_").includePublicKey(true)).keyPairs()
                .get(0).publicKey();
        assertTrue(kept.startsWith(foreign), "the existing key pair is untouched");
        assertEquals(List.of(), groupsOf(NS), "no group made: the key pair is checked first");
    }

    @Test
    void theBaseImageComesFromTheSsmParameterThenThePublisherAndAnExplicitOneWins() {
        fx.putParameter("/cgrender-test/ubuntu-lts", TRUSTY);
        Ec2Cloud viaSsm = fx.cloud(Map.of("cgrender.ec2.image-parameters.UBUNTU_LTS", "/cgrender-test/ubuntu-lts"));
        assertEquals(TRUSTY, fx.instance(viaSsm.launch(fx.spec(NS, "probe-box")).id()).imageId());

        Ec2Cloud explicit = fx.cloud(Map.of("cgrender.roles.\"probe-box\".image", XENIAL,
                "cgrender.ec2.image-parameters.UBUNTU_LTS", "/cgrender-test/ubuntu-lts"));
        assertEquals(XENIAL, fx.instance(explicit.launch(fx.spec(NS, "probe-box")).id()).imageId());

        int before = fx.liveInstances().size();
        Ec2Cloud missing = fx.cloud(Map.of("cgrender.ec2.image", "ami-0123456789abcdef0"));
        UsageException e = assertThrows(UsageException.class, () -> missing.launch(fx.spec(NS, "probe-box")));
        assertTrue(e.getMessage().contains("AMI ami-0123456789abcdef0 (from cgrender.ec2.image) not found in EC2 in"
                + " us-east-1"), e.getMessage());
        assertEquals(before, fx.liveInstances().size(), "nothing launched");
    }

    @Test
    void eachOsFamilyStartsFromItsOwnImageAndLogsInAsItsOwnUser() {
        // moto's images stand in for the three families' own: each family has its SSM parameter, as on AWS.
        Map<MachineSpec.Os, String> images = Map.of(MachineSpec.Os.UBUNTU_LTS, XENIAL,
                MachineSpec.Os.DEBIAN, TRUSTY, MachineSpec.Os.AMAZON_LINUX, AMAZON_LINUX_2);
        Map<String, Object> config = new java.util.HashMap<>();
        images.forEach((os, image) -> {
            fx.putParameter("/cgrender-test/" + os, image);
            config.put("cgrender.ec2.image-parameters." + os, "/cgrender-test/" + os);
        });
        Ec2Cloud cloud = fx.cloud(config);
        Map<MachineSpec.Os, String> users = Map.of(MachineSpec.Os.UBUNTU_LTS, "ubuntu", MachineSpec.Os.DEBIAN, "admin",
                MachineSpec.Os.AMAZON_LINUX, "ec2-user");
        for (MachineSpec.Os os : MachineSpec.Os.values()) {
            Machine machine = cloud.launch(fx.spec(NS, "probe-box", os));
            Instance instance = fx.instance(machine.id());
            assertEquals(images.get(os), instance.imageId(), os + "'s own image");
            assertEquals(users.get(os), tags(instance.tags()).get(Tags.LOGIN_USER), os + "'s login user");
            assertEquals(users.get(os), cloud.describe(io.cgrender.core.cloud.MachineFilter.of(NS)).stream()
                    .filter(m -> m.id().equals(machine.id())).findFirst().orElseThrow().tags().get(Tags.LOGIN_USER));
            String userData = new String(Base64.getDecoder().decode(fx.ec2.describeInstanceAttribute(r -> r
                    .instanceId(machine.id()).attribute("userData")).userData().value()), StandardCharsets.UTF_8);
            assertTrue(userData.contains("CGRENDER_LOGIN_USER:-" + users.get(os) + "}"),
                    os + ": the watchdog watches the sessions and jobs of " + users.get(os));
            assertTrue(userData.startsWith("#!/bin/bash\n"), "a bash script, which all three run");
        }

        // Without the parameter, the publisher's newest image: Amazon's own account for Amazon Linux.
        Ec2Cloud publisher = fx.cloud(Map.of("cgrender.ec2.image-parameters.AMAZON_LINUX", "/cgrender-test/none",
                "cgrender.ec2.image-names.AMAZON_LINUX", "amzn2-ami-hvm-*-x86_64-gp2"));
        Machine al = publisher.launch(fx.spec(NS, "probe-box", MachineSpec.Os.AMAZON_LINUX));
        software.amazon.awssdk.services.ec2.model.Image chosen = fx.ec2.describeImages(r -> r
                .imageIds(fx.instance(al.id()).imageId())).images().get(0);
        assertEquals("137112412989", chosen.ownerId(), chosen.toString());
        assertTrue(chosen.name().startsWith("amzn2-ami-hvm-"), chosen.name());
    }

    @Test
    void anInstanceTypeTheRegionDoesNotOfferIsRefusedBeforeAnythingIsMade() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        var spec = fx.spec(NS, "probe-box");
        var huge = new io.cgrender.core.cloud.LaunchSpec(spec.namespace(), spec.role(), spec.machine(), spec.tags(),
                spec.authorizedKey(), spec.idleTimeout(), spec.maxLifetime(), spec.image(),
                java.util.Optional.of("zz9.mega"), false);
        UsageException e = assertThrows(UsageException.class, () -> cloud.launch(huge));
        assertTrue(e.getMessage().startsWith("instance type 'zz9.mega' (--instance-type) is not offered in us-east-1"),
                e.getMessage());
        assertEquals(List.of(), fx.liveInstances());
        assertEquals(List.of(), fx.ec2.describeKeyPairs().keyPairs(), "no key pair imported");
        assertEquals(List.of(), groupsOf(NS));
    }

    @Test
    void aQuotaErrorFromRunInstancesIsPassedThroughWithAHintAndTheNamespacesKeyPairAndGroupStay() {
        Ec2Cloud cloud = fx.cloud(Map.of(), real -> {
            Ec2Client mock = Ec2Fixture.delegating(Ec2Client.class, real);
            doThrow(Ec2Fixture.ec2Error("VcpuLimitExceeded", "You have requested more vCPU capacity than your"
                    + " current vCPU limit of 32 allows for the instance bucket that the specified instance type"
                    + " belongs to."))
                    .when(mock).runInstances(any(RunInstancesRequest.class));
            return mock;
        });
        UsageException e = assertThrows(UsageException.class, () -> cloud.launch(fx.spec(NS, "probe-box")));
        assertTrue(e.getMessage().contains("VcpuLimitExceeded: You have requested more vCPU capacity"), e.getMessage());
        assertTrue(e.getMessage().contains("Service Quotas") && e.getMessage().contains("--instance-type"),
                "with a hint: " + e.getMessage());
        assertEquals(List.of(), fx.liveInstances());
        assertEquals(List.of("cgrender_alpha_"), keyPairNames(), "the namespace's key pair stays, for gc to collect");
        assertEquals(1, groupsOf(NS).size(), "and so does its group");
    }

    @Test
    void aKeyPairAndGroupThatGcRemovedBetweenTheirLookupAndRunInstancesAreMadeAgain() {
        AtomicBoolean removed = new AtomicBoolean();
        Ec2Cloud cloud = fx.cloud(Map.of(), real -> {
            Ec2Client mock = Ec2Fixture.delegating(Ec2Client.class, real);
            doAnswer(call -> {
                RunInstancesRequest request = call.getArgument(0);
                if (removed.compareAndSet(false, true)) {
                    // what gc in another process does when it sees no box using them
                    real.deleteKeyPair(r -> r.keyName(request.keyName()));
                    real.deleteSecurityGroup(r -> r.groupId(request.securityGroupIds().get(0)));
                }
                return real.runInstances(request);
            }).when(mock).runInstances(any(RunInstancesRequest.class));
            return mock;
        });

        Machine launched = cloud.launch(fx.spec(NS, "probe-box"));

        assertTrue(removed.get());
        assertTrue(fx.err.toString().contains("the namespace's key pair or security group was removed meanwhile"),
                fx.err.toString());
        Instance instance = fx.ec2.describeInstances(r -> r.instanceIds(launched.id())).reservations().get(0)
                .instances().get(0);
        assertEquals(List.of("cgrender_alpha_"), keyPairNames(), "made again");
        assertEquals(groupsOf(NS).get(0).groupId(), instance.securityGroups().get(0).groupId(), "the new group");
        assertEquals("cgrender_alpha_", instance.keyName());
    }

    @Test
    void aFailureAfterRunInstancesTerminatesTheInstanceAndLeavesTheNamespacesKeyPairAndGroupToGc() {
        AtomicBoolean launched = new AtomicBoolean();
        AtomicBoolean failed = new AtomicBoolean();
        Ec2Cloud cloud = fx.cloud(Map.of(), real -> {
            Ec2Client mock = Ec2Fixture.delegating(Ec2Client.class, real);
            doAnswer(call -> {
                launched.set(true);
                return real.runInstances((RunInstancesRequest) call.getArgument(0));
            }).when(mock).runInstances(any(RunInstancesRequest.class));
            doAnswer(call -> {
                if (launched.get() && failed.compareAndSet(false, true)) {
                    throw Ec2Fixture.ec2Error("InternalError", "injected: an internal error has occurred");
                }
                return real.describeInstances((DescribeInstancesRequest) call.getArgument(0));
            }).when(mock).describeInstances(any(DescribeInstancesRequest.class));
            return mock;
        });
        BoxEnvironment env = fx.environment(cloud, NS);

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> new ProbeBox().create(env, CreateOptions.defaults()));

        assertTrue(failed.get(), "the failure was injected");
        assertTrue(e.getMessage().contains("injected: an internal error has occurred"), e.getMessage());
        List<Instance> all = fx.ec2.describeInstancesPaginator(r -> { }).reservations().stream()
                .flatMap(r -> r.instances().stream()).toList();
        assertEquals(1, all.size(), "one instance was launched");
        assertEquals("terminated", all.get(0).state().nameAsString(), "and terminated again");
        assertTrue(fx.err.toString().contains("terminating box " + all.get(0).instanceId()), fx.err.toString());
        assertEquals(List.of("cgrender_alpha_"), keyPairNames(), "the namespace's key pair stays");
        assertEquals(Set.of("key pair cgrender_alpha_", "security group " + groupsOf(NS).get(0).groupId(),
                        "agent topic " + AgentChannel.topicName(NS)),
                cloud.garbage().orElseThrow().find(NS, Set.of("probe-box"), Instant.now()).stream()
                        .map(g -> g.kind() + " " + g.id()).collect(Collectors.toSet()),
                "gc removes the key pair, group and agents' topic once no box uses them (the queue went with the box)");
    }

    @Test
    void aFailedLaunchNeverRemovesTheKeyPairAndGroupAnotherLaunchIsUsing() {
        Ec2Cloud other = fx.cloud(Map.of());
        AtomicReference<Machine> theirs = new AtomicReference<>();
        Ec2Cloud failing = fx.cloud(Map.of(), real -> {
            Ec2Client mock = Ec2Fixture.delegating(Ec2Client.class, real);
            doAnswer(call -> {
                // the other client finds the key pair and group this one has just made, and launches with them
                theirs.set(other.launch(fx.spec(NS, "probe-box")));
                throw Ec2Fixture.ec2Error("InsufficientInstanceCapacity", "injected: no capacity");
            }).when(mock).runInstances(any(RunInstancesRequest.class));
            return mock;
        });

        assertThrows(CgrenderException.class, () -> failing.launch(fx.spec(NS, "probe-box")));

        Instance survivor = fx.instance(theirs.get().id());
        assertEquals(List.of("cgrender_alpha_"), keyPairNames(), "the key pair the other box logs in with stays");
        assertEquals("cgrender_alpha_", survivor.keyName());
        assertEquals(List.of(survivor.securityGroups().get(0).groupId()), groupsOf(NS).stream()
                .map(SecurityGroup::groupId).toList(), "the group it is reached through stays");
        Machine running = other.awaitRunning(survivor.instanceId(), Duration.ofSeconds(30), Progress.NONE);
        assertEquals("ok\n", fx.environment(other, NS).connect(running).exec("echo ok", Duration.ofSeconds(30))
                .stdout(), "and the box is reachable with the namespace's key");
    }

    @Test
    void aKeyPinnedInTheConfigurationWinsOverTheConsoleAndNoKeyAtAllIsExplained() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        Standins.presentAStrangerKeyNext();
        Machine impostor = cloud.awaitRunning(cloud.launch(fx.spec(NS, "probe-box")).id(), Duration.ofSeconds(30),
                Progress.NONE);
        BoxEnvironment env = fx.environment(cloud, NS);
        assertThrows(io.cgrender.core.ssh.HostKeyRejectedException.class, () -> env.connect(impostor),
                "the console vouches for another key");
        String real = Standins.hostKeyLine(impostor.id());
        Ec2Cloud pinned = fx.cloud(Map.of("cgrender.ec2.host-keys.\"" + impostor.id() + "\"", real));
        BoxEnvironment pinnedEnv = fx.environment(pinned, NS);
        assertEquals("ok\n", pinnedEnv.connect(impostor).exec("echo ok", Duration.ofSeconds(30)).stdout(),
                "the key the user pinned wins");

        Ec2Cloud quick = fx.cloud(Map.of("cgrender.timeouts.ssh", "2s"));
        Standins.printNoHostKeysNext();
        Machine silent = quick.awaitRunning(quick.launch(fx.spec(NS, "probe-box")).id(), Duration.ofSeconds(30),
                Progress.NONE);
        CgrenderException e = assertThrows(CgrenderException.class,
                () -> fx.environment(quick, NS).connect(silent));
        assertTrue(e.getMessage().startsWith("no SSH host key of " + silent.id() + " is known")
                && e.getMessage().contains("cgrender.ec2.host-keys { \"" + silent.id() + "\""), e.getMessage());
        assertTrue(Standins.sshdLog(silent.id()).lines().noneMatch(l -> l.contains("Accepted publickey")),
                "never connected on trust");
    }

    @Test
    void roleDefaultsChooseTheInstanceTypeAndASpotSpecLaunchesSpot() {
        // The role's spot default is resolved by the box's create (core), into the spec: on-demand may override it.
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.roles.\"probe-box\".instance-type", "c6i.large"));
        var spec = fx.spec(NS, "probe-box");
        var spot = new io.cgrender.core.cloud.LaunchSpec(spec.namespace(), spec.role(), spec.machine(), spec.tags(),
                spec.authorizedKey(), spec.idleTimeout(), spec.maxLifetime(), spec.orphanTimeout(), spec.image(),
                spec.instanceType(), true);
        Instance instance = fx.instance(cloud.launch(spot).id());
        assertEquals("c6i.large", instance.instanceTypeAsString());
        assertEquals("spot", instance.instanceLifecycleAsString());
    }

    // ---------------------------------------------------------------- gc

    @Test
    void gcLeavesAKeptBoxWhateverItsOldExpirySays() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        Machine box = cloud.launch(fx.spec(NS, "probe-box"));
        // kept by someone on the box (cgrender-box keep) past the expiry it had before
        cloud.tag(box.id(), Map.of(Tags.EXPIRES_AT, Instant.now().minusSeconds(60).toString(), Tags.KEPT,
                Instant.now().minusSeconds(120).toString()));
        GarbageCollection gc = cloud.garbage().orElseThrow();
        assertTrue(gc.find(NS, Set.of("probe-box"), Instant.now()).stream().noneMatch(g -> g.id().equals(box.id())),
                "kept: it ends when released");
        cloud.tag(box.id(), Map.of(Tags.KEPT, ""));
        assertTrue(gc.find(NS, Set.of("probe-box"), Instant.now()).stream().anyMatch(g -> g.id().equals(box.id())
                && g.reason().startsWith("expired at ")), "released, its expiry counts again");
    }

    @Test
    void gcFindsExpiredBoxesImagesOfUnknownRolesAndUnusedKeyPairsAndGroupsOfItsNamespaceOnly() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        Instant past = Instant.now().minusSeconds(60);
        Machine expired = cloud.launch(fx.spec(NS, "probe-box", past));
        Machine alive = cloud.launch(fx.spec(NS, "probe-box"));
        Machine otherExpired = cloud.launch(fx.spec(OTHER, "probe-box", past));
        cloud.awaitRunning(alive.id(), Duration.ofSeconds(30), Progress.NONE);
        Image orphan = cloud.images().orElseThrow().create(alive, Map.of(Tags.NAMESPACE, NS.toString(),
                Tags.ROLE, "retired-box", Tags.GENERATION, "1"), Duration.ofSeconds(30), Progress.NONE);
        Image kept = cloud.images().orElseThrow().create(alive, Map.of(Tags.NAMESPACE, NS.toString(),
                Tags.ROLE, "probe-box", Tags.GENERATION, "1"), Duration.ofSeconds(30), Progress.NONE);
        GarbageCollection gc = cloud.garbage().orElseThrow();
        Set<String> roles = Set.of("probe-box");

        List<Garbage> found = gc.find(NS, roles, Instant.now());
        assertEquals(List.of("box " + expired.id(), "image " + orphan.id()),
                found.stream().map(g -> g.kind() + " " + g.id()).toList(), found.toString());
        assertTrue(found.get(0).reason().startsWith("expired at "), found.toString());
        found.forEach(gc::remove);
        assertEquals("terminated", fx.state(expired.id()));
        assertEquals(List.of(kept.id()), cloud.images().orElseThrow().list(NS, null).stream().map(Image::id).toList());
        assertEquals(List.of(), gc.find(NS, roles, Instant.now()), "the group and key pair are still used");

        cloud.terminate(alive.id(), Duration.ofSeconds(30), Progress.NONE);
        List<Garbage> unused = gc.find(NS, roles, Instant.now());
        assertEquals(Set.of("key pair cgrender_alpha_", "security group " + groupsOf(NS).get(0).groupId(),
                        "agent topic " + AgentChannel.topicName(NS)),
                unused.stream().map(g -> g.kind() + " " + g.id()).collect(Collectors.toSet()), unused.toString());
        unused.forEach(gc::remove);
        unused.forEach(gc::remove);
        assertEquals(List.of(), groupsOf(NS));
        assertEquals(List.of("cgrender_beta_"), fx.ec2.describeKeyPairs().keyPairs().stream()
                .map(KeyPairInfo::keyName).toList(), "the other namespace keeps its key pair");
        assertEquals("running", fx.state(otherExpired.id()), "and its expired box: gc of /alpha/ never touches it");
        List<Garbage> other = gc.find(OTHER, roles, Instant.now());
        assertEquals(List.of("box " + otherExpired.id(), "key pair cgrender_beta_"), other.stream().limit(2)
                .map(g -> g.kind() + " " + g.id()).toList(), "boxes first: removing in order frees what they held");
        assertEquals("no box uses it once the expired ones are gone", other.get(1).reason());
    }

    // ---------------------------------------------------------------- adoption

    @Test
    void adoptingTagsAndStartsAnExistingInstanceAndSetsItUp() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        BoxEnvironment env = fx.environment(cloud, NS);
        cloud.keyPairs().ensure(NS, fx.key(NS).publicKeyLine(), "key");
        String id = fx.ec2.runInstances(r -> r.imageId(XENIAL).instanceType("t3.micro").minCount(1).maxCount(1)
                .keyName("cgrender_alpha_").tagSpecifications(t -> t.resourceType("instance")
                        .tags(Tag.builder().key("Name").value("my render box").build()))).instances().get(0)
                .instanceId();
        fx.ec2.stopInstances(r -> r.instanceIds(id));

        Machine adopted = new ProbeBox().adopt(env, id, CreateOptions.defaults());

        assertEquals(id, adopted.id());
        assertEquals("running", fx.state(id), "a stopped instance is started");
        Map<String, String> tags = tags(fx.instance(id).tags());
        assertEquals("/alpha/", tags.get(Tags.NAMESPACE));
        assertEquals("probe-box", tags.get(Tags.ROLE));
        assertEquals("ready", tags.get(Tags.STAGE));
        assertEquals("true", tags.get(Ec2Cloud.ADOPTED));
        assertEquals("my render box", tags.get(Tags.NAME), "its own name is kept");
        assertFalse(tags.containsKey(Tags.EXPIRES_AT), "an adopted box is not disposable");
        Path home = Standins.home(id).orElseThrow();
        assertEquals("setup\n", Ec2FixtureFiles.read(home.resolve("setup-runs")), "set up over SSH");
    }

    @Test
    void adoptionRefusesUnknownInstancesAndThoseOfAnotherNamespaceAndHandsBackOnFailure() {
        Ec2Cloud cloud = fx.cloud(Map.of());
        UsageException unknown = assertThrows(UsageException.class,
                () -> new ProbeBox().adopt(fx.environment(cloud, NS), "i-0123456789abcdef0", CreateOptions.defaults()));
        assertTrue(unknown.getMessage().startsWith("no EC2 instance i-0123456789abcdef0 in us-east-1"),
                unknown.getMessage());

        Machine theirs = cloud.launch(fx.spec(OTHER, "probe-box"));
        UsageException foreign = assertThrows(UsageException.class,
                () -> new ProbeBox().adopt(fx.environment(cloud, NS), theirs.id(), CreateOptions.defaults()));
        assertTrue(foreign.getMessage().contains("belongs to namespace /beta/, not /alpha/"), foreign.getMessage());
        assertEquals("/beta/", tags(fx.instance(theirs.id()).tags()).get(Tags.NAMESPACE), "untouched");

        String plain = fx.ec2.runInstances(r -> r.imageId(XENIAL).instanceType("t3.micro").minCount(1).maxCount(1))
                .instances().get(0).instanceId();
        Standins.presentAStrangerKeyNext();
        CgrenderException refused = assertThrows(CgrenderException.class,
                () -> new ProbeBox().adopt(fx.environment(cloud, NS), plain, CreateOptions.defaults()));
        assertTrue(refused.getMessage().contains("refusing the host key of " + plain), refused.getMessage());
        assertEquals("running", fx.state(plain), "a failed adoption never terminates the user's instance");
        assertTrue(tags(fx.instance(plain).tags()).keySet().stream().noneMatch(k -> k.startsWith(Tags.PREFIX)),
                "cgrender's tags are removed again");
    }

    // ---------------------------------------------------------------- caller address

    @Test
    void withoutConfiguredCidrsTheGroupLetsInThisMachinesPublicAddress() throws Exception {
        com.sun.net.httpserver.HttpServer checkip = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        checkip.createContext("/", exchange -> {
            byte[] body = "127.0.0.1\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        checkip.start();
        try {
            Ec2Cloud cloud = fx.cloud(Map.of("cgrender.ec2.ssh-cidrs", List.of(),
                    "cgrender.ec2.public-ip-url", "http://127.0.0.1:" + checkip.getAddress().getPort() + "/"));
            Machine m = cloud.launch(fx.spec(NS, "probe-box"));
            SecurityGroup group = group(fx.instance(m.id()).securityGroups().get(0).groupId());
            assertEquals(List.of("127.0.0.1/32"), group.ipPermissions().get(0).ipRanges().stream()
                    .map(r -> r.cidrIp()).toList());
        } finally {
            checkip.stop(0);
        }
        Ec2Cloud broken = fx.cloud(Map.of("cgrender.ec2.ssh-cidrs", List.of(), "cgrender.ec2.public-ip-url",
                "http://127.0.0.1:" + io.cgrender.testkit.FreePort.find() + "/"));
        CgrenderException e = assertThrows(CgrenderException.class, () -> broken.launch(fx.spec(OTHER, "probe-box")));
        assertTrue(e.getMessage().contains("cgrender.ec2.ssh-cidrs"), e.getMessage());
    }

    // ---------------------------------------------------------------- helpers

    private SecurityGroup group(String id) {
        return fx.ec2.describeSecurityGroups(r -> r.groupIds(id)).securityGroups().get(0);
    }

    private List<SecurityGroup> groupsOf(Namespace ns) {
        return fx.ec2.describeSecurityGroups(r -> r.filters(Filter.builder().name("tag:" + Tags.NAMESPACE)
                .values(ns.toString()).build())).securityGroups();
    }

    private List<String> keyPairNames() {
        return fx.ec2.describeKeyPairs().keyPairs().stream().map(KeyPairInfo::keyName).toList();
    }

    private static Map<String, String> tags(List<Tag> tags) {
        return tags.stream().collect(Collectors.toMap(Tag::key, Tag::value));
    }


    /** Reads a stand-in's file as root. */
    static final class Ec2FixtureFiles {
        static String read(Path file) {
            try {
                return Files.readString(file);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
