package io.cgrender.boxes;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;

/**
 * A general Ubuntu LTS machine for one-off work, and the base of Ubuntu roles: a role on top of it lists what it adds
 * ({@link #listPackagesToInstall()}) and checks it ({@link #postInstallPackages}).
 */
@Role(name = "ubuntu-box", description = "Ubuntu LTS for one-off work, with the AWS CLI")
public class UbuntuBox extends AptBox {

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.of(MachineSpec.Os.UBUNTU_LTS, 2, 4, 16, "c6i.large");
    }
}
