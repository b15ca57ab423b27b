package io.cgrender.boxes;

import io.cgrender.core.box.PackageManagerBox;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.util.List;
import java.util.Optional;

/**
 * A box on an apt-based distribution: Debian or Ubuntu (the local cloud runs on this machine's Debian or Ubuntu).
 * Installs only the packages that are missing, so setting up a box that is already set up does no package work at
 * all; uses {@code sudo} when not root; retries {@code apt-get update} once.
 * <p>
 * Roles list their packages in {@link #listPackagesToInstall()} (required) and {@link #listOptionalPackages()}
 * (installed where the distribution offers them, skipped with a warning where it does not). Every apt box gets the
 * AWS CLI where it can, with which a box on EC2 reaches its agent's queue, reports its idle timer and stores results:
 * the distribution's {@code awscli} package, else AWS's snap (Ubuntu 24.04 has no package).
 */
public abstract class AptBox extends PackageManagerBox {

    private static final AptTool APT = new AptTool();

    /** Packages installed when available and skipped with a warning when the distribution does not have them. */
    protected List<String> listOptionalPackages() {
        return List.of("awscli");
    }

    @Override
    protected final void installPackages(RemoteHost host, List<String> packages) {
        new PackageInstaller(APT, console(), commandTimeout())
                .install(host, () -> sudo(host), packages, listOptionalPackages());
    }

    /** Installs the AWS CLI from its snap where the distribution had no package for it; a warning if it cannot. */
    @Override
    protected void postInstallPackages(RemoteHost host) throws Exception {
        if (host.exec("command -v aws", commandTimeout()).succeeded()) {
            return;
        }
        ExecResult snap = host.exec("command -v snap > /dev/null && " + sudo(host)
                + "snap install aws-cli --classic 2>&1", commandTimeout());
        if (snap.succeeded()) {
            console().status("installed the AWS CLI from its snap");
        } else {
            console().warn("no AWS CLI on the box (no awscli package, and " + (snap.exitCode() == 1
                    && snap.stdout().isBlank() ? "no snap" : "snap install aws-cli failed: "
                    + snap.stdout().strip()) + "): on EC2 its agent cannot be reached and its results are collected"
                    + " from the box instead of being stored in S3 by the box");
        }
    }

    /** The package an apt-get output says failed, if it names one. */
    static Optional<String> failingPackage(String aptOutput) {
        return APT.failingPackage(aptOutput);
    }
}
