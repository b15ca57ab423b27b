package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ui.Progress;
import io.cgrender.ec2.testkit.MotoStandins;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.AwsProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Subnet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The EC2 cloud against AWS as it behaves and moto does not, through the test kit's {@link AwsProxy}: new instances
 * unknown for a while (eventual consistency), throttling that outlasts the SDK's retries, zones without capacity and
 * slow IAM. Every check is made in moto's own state, through a client of its own.
 */
class Ec2UnderAwsFaultsTest {

    private static final Namespace NS = Namespace.parse("/alpha/", null);
    private static final Duration HIDDEN = Duration.ofSeconds(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

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

    /**
     * A cloud through the fault proxy. Its boxes get no agent channel and no instance profile (presigned results):
     * the launch then ends right after RunInstances, so the faults of a new instance meet the calls these tests are
     * about. (With a channel, the launch waits until EC2 knows the instance to give it its profile, which hid these
     * faults from the calls under test.)
     */
    private Ec2Cloud cloud(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>(fx.throughProxy());
        config.put("cgrender.ec2.results.box-access", "presigned");
        config.putAll(extra);
        return fx.cloud(config);
    }

    private List<AwsProxy.Call> calls(String action) {
        return fx.proxy.calls(action);
    }

    private static long faulted(List<AwsProxy.Call> calls, String fault) {
        return calls.stream().filter(c -> c.fault().equals(fault)).count();
    }

    private List<Instance> allInstances() {
        return fx.ec2.describeInstancesPaginator(r -> { }).reservations().stream().flatMap(r -> r.instances().stream())
                .toList();
    }

    // ---------------------------------------------------------------- eventual consistency

    @Test
    void anInstanceTerminatedRightAfterItsLaunchIsTerminatedWhileEc2DoesNotKnowItYet() {
        Ec2Cloud cloud = cloud(Map.of());
        fx.proxy.faults().hideNewInstancesFor(HIDDEN);
        Machine launched = cloud.launch(fx.spec(NS, "probe-box"));

        cloud.terminate(launched.id(), TIMEOUT, Progress.NONE);

        assertEquals("terminated", fx.state(launched.id()), "moto terminated it");
        List<AwsProxy.Call> terminates = calls("TerminateInstances");
        assertTrue(faulted(terminates, "InvalidInstanceID.NotFound") >= 1, "asked while EC2 did not know it: "
                + terminates);
        assertFalse(terminates.get(terminates.size() - 1).faulted(), "and again until EC2 took it: " + terminates);
    }

    @Test
    void aCreateThatFailsWhileItsInstanceIsUnknownStillTerminatesTheInstance() {
        Ec2Cloud cloud = cloud(Map.of("cgrender.timeouts.running", "1s"));
        fx.proxy.faults().hideNewInstancesFor(Duration.ofSeconds(3));

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> new ProbeBox().create(fx.environment(cloud, NS), CreateOptions.defaults()));

        assertTrue(e.getMessage().contains("timed out after 1s waiting for EC2 instance"), e.getMessage());
        List<Instance> all = allInstances();
        assertEquals(1, all.size(), "one instance was launched");
        assertEquals("terminated", all.get(0).state().nameAsString(), "and terminated by the create's cleanup");
        assertTrue(faulted(calls("TerminateInstances"), "InvalidInstanceID.NotFound") >= 1,
                calls("TerminateInstances").toString());
    }

    @Test
    void waitsAndHostKeyPollsToleratesANewInstanceEc2DoesNotKnowYet() {
        Ec2Cloud cloud = cloud(Map.of());
        fx.proxy.faults().hideNewInstancesFor(HIDDEN).emptyConsoleFor(HIDDEN.plusSeconds(1));
        Machine launched = cloud.launch(fx.spec(NS, "probe-box"));

        Set<HostKeyFingerprint> keys = new ConsoleHostKeySource(cloud.aws(), new MotoStandins(), cloud.settings())
                .trustedFingerprints(launched, TIMEOUT, Progress.NONE);
        assertFalse(keys.isEmpty());
        assertTrue(faulted(calls("GetConsoleOutput"), "InvalidInstanceID.NotFound") >= 1,
                "the console was asked for while EC2 did not know the instance: " + calls("GetConsoleOutput"));

        fx.proxy.faults().clear();
        Machine other = cloud.launch(fx.spec(NS, "probe-box"));
        fx.proxy.faults().hideNewInstancesFor(HIDDEN);
        Machine hidden = cloud.launch(fx.spec(NS, "probe-box"));
        assertEquals("running", cloud.awaitRunning(hidden.id(), TIMEOUT, Progress.NONE).state().name()
                .toLowerCase());
        assertEquals(other.id(), cloud.awaitRunning(other.id(), TIMEOUT, Progress.NONE).id());
        assertTrue(faulted(calls("DescribeInstances"), "InvalidInstanceID.NotFound") >= 1,
                calls("DescribeInstances").toString());
    }

    // ---------------------------------------------------------------- throttling

    @Test
    void waitsOutlastThrottlingThatOutlivesTheSdksOwnRetries() {
        Ec2Cloud cloud = cloud(Map.of("cgrender.aws.max-attempts", 2));
        int burst = cloud.settings().maxAttempts() + 2;
        Machine launched = cloud.launch(fx.spec(NS, "probe-box"));

        fx.proxy.faults().throttleNext("DescribeInstances", burst);
        Machine running = cloud.awaitRunning(launched.id(), TIMEOUT, Progress.NONE);
        fx.proxy.faults().throttleNext("GetConsoleOutput", burst);
        assertFalse(cloud.accessFor(running).hostKeys().trustedFingerprints(running, TIMEOUT, Progress.NONE)
                .isEmpty());
        fx.proxy.faults().throttleNext("TerminateInstances", burst).throttleNext("DescribeInstances", burst);
        cloud.terminate(running.id(), TIMEOUT, Progress.NONE);

        assertEquals("terminated", fx.state(running.id()));
        for (String action : List.of("GetConsoleOutput", "TerminateInstances")) {
            assertEquals(burst, faulted(calls(action), "RequestLimitExceeded"), action + ": " + calls(action));
            assertFalse(calls(action).get(calls(action).size() - 1).faulted(), action + " went through at last");
        }
        assertEquals(2L * burst, faulted(calls("DescribeInstances"), "RequestLimitExceeded"));
    }

    @Test
    void aWholeCreateAndTerminateSucceedWhileEc2ThrottlesEveryOtherCall() {
        Ec2Cloud cloud = cloud(Map.of());
        fx.proxy.faults().throttleEvery("ec2", 2);

        List<Machine> boxes = new ProbeBox().create(fx.environment(cloud, NS), CreateOptions.defaults());
        Machine box = boxes.get(0);
        assertEquals("ready", fx.instance(box.id()).tags().stream().filter(t -> t.key().equals(Tags.STAGE))
                .findFirst().orElseThrow().value());
        fx.environment(cloud, NS).terminate(box);

        assertEquals("terminated", fx.state(box.id()));
        long throttled = faulted(fx.proxy.calls(), "RequestLimitExceeded");
        assertTrue(throttled >= 10, "EC2 throttled the create: " + throttled + " of " + fx.proxy.calls().size());
    }

    // ---------------------------------------------------------------- capacity

    private List<String> zones() {
        return fx.ec2.describeSubnets(r -> r.filters(f -> f.name("default-for-az").values("true"))).subnets()
                .stream().map(Subnet::availabilityZone).sorted().toList();
    }

    @Test
    void aZoneWithoutCapacityIsLeftForAnotherZone() {
        List<String> zones = zones();
        Ec2Cloud cloud = cloud(Map.of());
        fx.proxy.faults().noCapacity(zones.get(0), "t3.micro");

        Machine launched = cloud.launch(fx.spec(NS, "probe-box"));

        Instance instance = fx.instance(launched.id());
        assertEquals(zones.get(1), instance.placement().availabilityZone());
        assertEquals("t3.micro", instance.instanceTypeAsString());
        assertTrue(fx.err.toString().contains("no t3.micro capacity in " + zones.get(0) + "; trying "
                + zones.get(1)), fx.err.toString());
        assertTrue(faulted(calls("RunInstances"), "InsufficientInstanceCapacity") >= 1);
        assertEquals(List.of(launched.id()), fx.liveInstances().stream().map(Instance::instanceId).toList());
    }

    @Test
    void withNoCapacityForTheTypeInAnyZoneAFallbackTypeIsLaunched() {
        Ec2Cloud cloud = cloud(Map.of("cgrender.ec2.fallback-instance-types", List.of("t3.small", "t3.medium")));
        fx.proxy.faults().noCapacity("*", "t3.micro");

        Machine launched = cloud.launch(fx.spec(NS, "probe-box"));

        Instance instance = fx.instance(launched.id());
        assertEquals("t3.small", instance.instanceTypeAsString());
        assertEquals(zones().get(0), instance.placement().availabilityZone());
        assertTrue(fx.err.toString().contains("; trying t3.small in " + zones().get(0)
                + " (cgrender.ec2.fallback-instance-types)"), fx.err.toString());
        assertEquals(1, fx.liveInstances().size());
    }

    @Test
    void withNoCapacityAnywhereTheLaunchGivesUpNamingEveryPlaceItTriedAndLeavesNothing() {
        Ec2Cloud cloud = cloud(Map.of("cgrender.ec2.fallback-instance-types", List.of("t3.small")));
        fx.proxy.faults().noCapacity("*", "*");
        List<String> zones = zones();

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> new ProbeBox().create(fx.environment(cloud, NS), CreateOptions.defaults()));

        String all = String.join(", ", zones);
        assertTrue(e.getMessage().contains("has no capacity for a probe-box box right now: tried t3.micro in " + all
                + "; t3.small in " + all + "; try again later, add instance types to"
                + " cgrender.ec2.fallback-instance-types"), e.getMessage());
        assertEquals(List.of(), allInstances(), "no RunInstances made an instance");
        List<AwsProxy.Call> runs = calls("RunInstances");
        assertTrue(runs.size() >= 2 * zones.size() && runs.stream().allMatch(AwsProxy.Call::faulted), runs.toString());
    }

    @Test
    void aFallbackTypeTheRegionDoesNotOfferIsRefusedBeforeAnythingIsLaunched() {
        Ec2Cloud cloud = cloud(Map.of("cgrender.ec2.fallback-instance-types", List.of("zz9.mega")));
        CgrenderException e = assertThrows(CgrenderException.class, () -> cloud.launch(fx.spec(NS, "probe-box")));
        assertTrue(e.getMessage().startsWith("instance type 'zz9.mega' (cgrender.ec2.fallback-instance-types) is not"
                + " offered in us-east-1"), e.getMessage());
        assertEquals(List.of(), allInstances());
    }

    // ---------------------------------------------------------------- all at once

    @Test
    void aWholeCreateUnderEveryFaultAtOnceEndsWithExactlyOneReadyBoxAndNothingLeaked() {
        Ec2Cloud cloud = cloud(Map.of());
        fx.proxy.faults().hideNewInstancesFor(HIDDEN).throttleEvery("ec2", 3).slowIam(HIDDEN)
                .emptyConsoleFor(HIDDEN);

        List<Machine> boxes = new ProbeBox().create(fx.environment(cloud, NS), CreateOptions.defaults());

        assertEquals(1, boxes.size());
        List<Instance> all = allInstances();
        assertEquals(List.of(boxes.get(0).id()), all.stream().map(Instance::instanceId).toList(),
                "exactly one instance was launched");
        assertEquals("running", all.get(0).state().nameAsString());
        assertEquals("ready", all.get(0).tags().stream().filter(t -> t.key().equals(Tags.STAGE)).findFirst()
                .orElseThrow().value());
        assertEquals("setup\n", Ec2CloudTest.Ec2FixtureFiles.read(Standins.home(boxes.get(0).id()).orElseThrow()
                .resolve("setup-runs")), "set up over SSH, once");
        assertTrue(faulted(fx.proxy.calls(), "RequestLimitExceeded") > 0);
        assertTrue(fx.proxy.calls().stream().anyMatch(c -> c.fault().equals("InvalidInstanceID.NotFound")),
                "the new instance was unknown for a while");
        assertEquals(1, fx.proxy.calls("RunInstances").stream().filter(c -> !c.faulted()).count());
    }
}
