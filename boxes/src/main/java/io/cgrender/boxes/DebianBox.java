package io.cgrender.boxes;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;

/** A general Debian 12 machine for one-off work; on EC2 its login user is {@code admin}. */
@Role(name = "debian-box", description = "Debian 12 for one-off work, with the AWS CLI")
public class DebianBox extends AptBox {

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.of(MachineSpec.Os.DEBIAN, 2, 4, 16, "c6i.large");
    }
}
