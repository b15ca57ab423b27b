package com.example.povray;

import io.cgrender.boxes.UbuntuBox;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.Role;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.util.ArrayList;
import java.util.List;

/**
 * A box for one-off ray-traced renders: Ubuntu with POV-Ray. All of setup — launching, host-key verification, apt
 * with sudo, retries, cleanup on failure — is inherited; the role only lists its package and checks that it runs.
 */
@Role(name = PovrayUbuntuBox.ROLE, description = "Ubuntu with POV-Ray, for one-off ray-traced renders (example plugin)")
public class PovrayUbuntuBox extends UbuntuBox {

    public static final String ROLE = "povray-ubuntu-box";

    @Override
    protected List<String> listPackagesToInstall() {
        List<String> packages = new ArrayList<>(super.listPackagesToInstall());
        packages.add("povray");
        return packages;
    }

    @Override
    protected void postInstallPackages(RemoteHost host) throws Exception {
        super.postInstallPackages(host);
        // POV-Ray prints its version after a complaint that the user has no ~/.povray; the system config serves.
        ExecResult version = host.exec("povray --version 2>&1", commandTimeout());
        String line = version.stdout().lines().filter(l -> l.startsWith("POV-Ray")).findFirst().orElse("");
        if (!version.succeeded() || line.isEmpty()) {
            throw new CgrenderException("povray was installed but does not run (exit " + version.exitCode() + "): "
                    + version.stdout().strip());
        }
        console().status("ready to render with " + line);
    }
}
