package io.cgrender.boxes;

import io.cgrender.core.box.PackageManagerBox;
import io.cgrender.core.ssh.RemoteHost;

import java.util.List;

/**
 * A box on a dnf-based distribution: Amazon Linux 2023 (and Fedora-like ones). Like {@link AptBox}, it installs only
 * what is missing, with {@code sudo} when not root, and refreshes the package metadata once (retried once) before it
 * installs anything. Amazon Linux comes with the AWS CLI ({@code awscli-2}); a box without it gets a warning.
 */
public abstract class DnfBox extends PackageManagerBox {

    private static final DnfTool DNF = new DnfTool();

    /** Packages installed when available and skipped with a warning when the distribution does not have them. */
    protected List<String> listOptionalPackages() {
        return List.of("awscli-2");
    }

    @Override
    protected final void installPackages(RemoteHost host, List<String> packages) {
        new PackageInstaller(DNF, console(), commandTimeout())
                .install(host, () -> sudo(host), packages, listOptionalPackages());
    }

    @Override
    protected void postInstallPackages(RemoteHost host) throws Exception {
        if (!host.exec("command -v aws", commandTimeout()).succeeded()) {
            console().warn("no AWS CLI on the box: on EC2 its agent cannot be reached and its results are collected"
                    + " from the box instead of being stored in S3 by the box");
        }
    }
}
