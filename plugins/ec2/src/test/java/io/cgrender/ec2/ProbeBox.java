package io.cgrender.ec2;

import io.cgrender.core.box.Box;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;
import io.cgrender.core.ssh.RemoteHost;

/** A box whose setup only leaves a mark in its home: for lifecycle tests on EC2 that need a real setup over SSH. */
@Role(name = "probe-box", description = "test role: setup writes a marker file")
public class ProbeBox extends Box {

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.ubuntu(1, 1, 8, "t3.micro");
    }

    @Override
    protected void setup(RemoteHost host) {
        host.exec("echo setup >> setup-runs", commandTimeout());
    }
}
