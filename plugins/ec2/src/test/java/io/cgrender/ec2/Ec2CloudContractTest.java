package io.cgrender.ec2;

import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.CloudContractTest;
import io.cgrender.core.config.Settings;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The cloud contract on EC2: moto for the API, a real sshd stand-in for each instance. */
class Ec2CloudContractTest extends CloudContractTest {

    /** Runs after every @AfterEach (the contract's cleanup included): no stand-in outlives its test. */
    @RegisterExtension
    static final AfterEachCallback CLOSE_STANDINS = context -> Standins.closeAll();

    private MotoServer moto;

    @Override
    protected Settings settings() {
        moto = Ec2TestKit.freshMoto();
        return Settings.load(dirs, Optional.empty(), environment(), Ec2TestKit.config(moto));
    }

    @Override
    protected Map<String, String> environment() {
        return Ec2TestKit.environment(temp.resolve("home"));
    }

    @Override
    protected Cloud openCloud(CloudContext context) {
        return new Ec2CloudProvider().open(context);
    }

    @Override
    protected String unknownMachineId() {
        return "i-00000000000000000";
    }

    /** Every instance is terminated, and its stand-in (sshd, processes, user, disk) is gone. */
    @Override
    protected void assertNothingLeftBehind() {
        try (Ec2Client ec2 = Ec2TestKit.client(moto)) {
            List<Instance> all = ec2.describeInstancesPaginator(r -> { }).reservations().stream()
                    .flatMap(r -> r.instances().stream()).toList();
            assertEquals(List.of(), all.stream().filter(i -> !i.state().nameAsString().equals("terminated"))
                    .map(Instance::instanceId).toList(), "instances left running");
            Standins.sync(ec2);
            assertEquals(java.util.Set.of(), Standins.instanceIds(), "stand-ins left");
            for (Instance i : all) {
                assertFalse(Standins.leftOver(i.instanceId()), "the stand-in user of " + i.instanceId() + " is left");
            }
        }
    }
}
