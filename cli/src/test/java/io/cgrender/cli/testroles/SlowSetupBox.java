package io.cgrender.cli.testroles;

import io.cgrender.core.box.Box;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;
import io.cgrender.core.ssh.RemoteHost;

/** A box whose setup takes minutes, so a test can interrupt a create in the middle of it. */
@Role(name = "slow-setup-box", description = "test role: setup sleeps for ten minutes")
public class SlowSetupBox extends Box {

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.ubuntu(1, 1, 8, "t3.micro");
    }

    @Override
    protected void setup(RemoteHost host) {
        host.exec("echo setup-started > setup-started; sleep 600", commandTimeout());
    }
}
