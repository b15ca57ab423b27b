package io.cgrender.boxes;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.Role;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.util.ArrayList;
import java.util.List;

/**
 * The render box: an {@link UbuntuBox} with OpenSCAD and {@code xvfb} for PNG previews (OpenSCAD needs a display to
 * export images). With the AWS CLI every apt box gets, a box on EC2 stores its results in S3 and mails the user by
 * itself; a box without it still renders, and its results are then collected from the box.
 */
@Role(name = "openscad-ubuntu-box", description = "Ubuntu with OpenSCAD, xvfb for PNG previews and the AWS CLI")
public class UbuntuOpenScadBox extends UbuntuBox {

    @Override
    protected List<String> listPackagesToInstall() {
        List<String> packages = new ArrayList<>(super.listPackagesToInstall());
        packages.addAll(List.of("openscad", "xvfb"));
        return packages;
    }

    @Override
    protected void postInstallPackages(RemoteHost host) throws Exception {
        super.postInstallPackages(host);
        ExecResult version = host.exec("openscad --version 2>&1", commandTimeout());
        if (!version.succeeded()) {
            throw new CgrenderException("openscad was installed but does not run (exit " + version.exitCode() + "): "
                    + version.stdout().strip());
        }
        console().status("ready to render with " + version.stdout().strip());
    }
}
