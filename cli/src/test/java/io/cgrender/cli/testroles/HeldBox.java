package io.cgrender.cli.testroles;

import io.cgrender.core.box.Box;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ssh.RemoteHost;

/**
 * A box whose creation a test can hold at one stage, to kill the client there: run cgrender with the system property
 * {@value #HOLD_AT} = {@code launched} (the hook after launch waits), {@code setup} (setup writes {@code
 * setup-started} in the box's home and sleeps) or {@code imaging} (setup writes a 1 GB file, so that saving an image
 * of the box takes a while). Without it, the box is made at once.
 */
@Role(name = "held-box", description = "test role: its creation can be held at a stage (-Dcgrender.test.hold-at)")
public class HeldBox extends Box {

    public static final String HOLD_AT = "cgrender.test.hold-at";

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.ubuntu(1, 1, 8, "t3.micro");
    }

    @Override
    protected void onLaunched(Machine machine) {
        if (holdAt("launched")) {
            console().status("holding after launch");
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    protected void setup(RemoteHost host) {
        if (holdAt("setup")) {
            host.exec("echo setup-started > setup-started; sleep 600", commandTimeout());
        } else if (holdAt("imaging")) {
            host.exec("fallocate -l 1G ballast 2>/dev/null || head -c 1G /dev/zero > ballast", commandTimeout());
        } else {
            host.exec("echo setup >> setup-runs", commandTimeout());
        }
    }

    private static boolean holdAt(String stage) {
        return stage.equals(System.getProperty(HOLD_AT));
    }
}
