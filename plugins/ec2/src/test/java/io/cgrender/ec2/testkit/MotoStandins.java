package io.cgrender.ec2.testkit;

import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.ec2.InstanceAccess;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * The test kit's {@link InstanceAccess}, selected with {@code cgrender.ec2.access = moto-standins}: moto's instances
 * are reached at their stand-ins on 127.0.0.1 ({@link Standins}), and their console output is what cloud-init would
 * print there. The one thing EC2 tests substitute; registered in the test resources only.
 */
public final class MotoStandins implements InstanceAccess {

    public static final String NAME = "moto-standins";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SshEndpoint endpoint(Ec2Client ec2, Instance instance, String loginUser) {
        return Standins.endpoint(ec2, instance, loginUser);
    }

    @Override
    public String consoleOutput(Ec2Client ec2, String instanceId) {
        return Standins.console(ec2, instanceId);
    }
}
