package io.cgrender.core.box;

import io.cgrender.core.ssh.RemoteHost;

import java.util.List;

/**
 * A box set up by installing packages, in cgcloud's well-known steps:
 * <pre>
 *   setupPackageRepos → listPackagesToInstall → preInstallPackages → installPackages → postInstallPackages
 * </pre>
 * A distribution family implements {@link #installPackages} once (e.g. apt for Ubuntu); a role then only lists its
 * packages and, where needed, adds repositories or post-install configuration.
 */
public abstract class PackageManagerBox extends Box {

    @Override
    protected final void setup(RemoteHost host) throws Exception {
        setupPackageRepos(host);
        List<String> packages = listPackagesToInstall();
        preInstallPackages(host);
        installPackages(host, packages);
        postInstallPackages(host);
    }

    /** Adds package repositories or keys the packages need. */
    protected void setupPackageRepos(RemoteHost host) throws Exception {
    }

    /** The packages this box needs; subclasses add to their parent's list. */
    protected List<String> listPackagesToInstall() {
        return List.of();
    }

    protected void preInstallPackages(RemoteHost host) throws Exception {
    }

    /** Installs what of {@code packages} is missing; does nothing when all are present. */
    protected abstract void installPackages(RemoteHost host, List<String> packages) throws Exception;

    protected void postInstallPackages(RemoteHost host) throws Exception {
    }
}
