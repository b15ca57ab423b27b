package io.cgrender.core.box;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.util.List;

/**
 * A box set up by installing packages, in cgcloud's well-known steps:
 * <pre>
 *   setupPackageRepos → listPackagesToInstall → preInstallPackages → installPackages → postInstallPackages
 * </pre>
 * A package-manager family implements {@link #installPackages} once (apt for Debian and Ubuntu, dnf for Amazon
 * Linux); a role then only lists its packages and, where needed, adds repositories or post-install configuration.
 * The family's {@link MachineSpec.Os} decides the cloud image and the login user.
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

    /** {@code ""} as root, {@code "sudo -n "} otherwise; fails clearly when sudo would ask for a password. */
    protected final String sudo(RemoteHost host) {
        ExecResult id = host.exec("id -u; id -un", commandTimeout());
        String[] lines = id.stdout().trim().split("\n");
        if (lines.length > 0 && lines[0].trim().equals("0")) {
            return "";
        }
        String user = lines.length > 1 ? lines[1].trim() : "the login user";
        if (!host.exec("sudo -n true", commandTimeout()).succeeded()) {
            throw new CgrenderException("setting up " + role() + " needs root to install packages, and " + user
                    + " cannot use sudo without a password").fix("allow passwordless sudo for " + user
                    + ", or log in as root");
        }
        return "sudo -n ";
    }
}
