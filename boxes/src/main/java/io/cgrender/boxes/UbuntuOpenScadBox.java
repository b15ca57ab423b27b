package io.cgrender.boxes;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.Role;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.util.ArrayList;
import java.util.List;

/**
 * The render box: OpenSCAD, {@code xvfb} for PNG previews (OpenSCAD needs a display to export images), and the AWS
 * CLI, with which a box on EC2 stores its results in S3 and mails the user by itself: Debian's and older Ubuntus'
 * {@code awscli} package, or AWS's snap where the distribution has no package (Ubuntu 24.04). A box without it still
 * renders; its results are then collected from the box.
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
    protected List<String> listOptionalPackages() {
        List<String> packages = new ArrayList<>(super.listOptionalPackages());
        packages.add("awscli");
        return packages;
    }

    @Override
    protected void postInstallPackages(RemoteHost host) {
        if (!host.exec("command -v aws", commandTimeout()).succeeded()) {
            ExecResult snap = host.exec("command -v snap > /dev/null && " + sudo(host)
                    + "snap install aws-cli --classic 2>&1", commandTimeout());
            if (snap.succeeded()) {
                console().status("installed the AWS CLI from its snap");
            } else {
                console().warn("no AWS CLI on the box (no awscli package, and " + (snap.exitCode() == 1
                        && snap.stdout().isBlank() ? "no snap" : "snap install aws-cli failed: "
                        + snap.stdout().strip()) + "): on EC2 its results are collected from the box instead of"
                        + " being stored in S3 by the box");
            }
        }
        ExecResult version = host.exec("openscad --version 2>&1", commandTimeout());
        if (!version.succeeded()) {
            throw new CgrenderException("openscad was installed but does not run (exit " + version.exitCode() + "): "
                    + version.stdout().strip());
        }
        console().status("ready to render with " + version.stdout().strip());
    }
}
