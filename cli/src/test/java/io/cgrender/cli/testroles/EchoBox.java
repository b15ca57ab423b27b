package io.cgrender.cli.testroles;

import io.cgrender.core.box.Box;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;
import io.cgrender.core.ssh.RemoteHost;

/** A box with a trivial setup, for fast lifecycle tests; it records each setup run in its home. */
@Role(name = "echo-box", description = "test role: setup writes a marker file")
public class EchoBox extends Box {

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.ubuntu(1, 1, 8, "t3.micro");
    }

    @Override
    protected void setup(RemoteHost host) {
        host.exec("echo setup >> setup-runs", commandTimeout());
    }
}
