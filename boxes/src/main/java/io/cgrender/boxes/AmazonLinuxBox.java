package io.cgrender.boxes;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;

/**
 * A general Amazon Linux 2023 machine for one-off work; on EC2 its login user is {@code ec2-user}. The local cloud
 * refuses it on a Debian or Ubuntu machine: its setup is written for dnf.
 */
@Role(name = "amazon-linux-box", description = "Amazon Linux 2023 for one-off work, with the AWS CLI")
public class AmazonLinuxBox extends DnfBox {

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.of(MachineSpec.Os.AMAZON_LINUX, 2, 4, 16, "c6i.large");
    }
}
