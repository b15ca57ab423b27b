package io.cgrender.boxes;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Installs the packages a box needs with its distribution's {@link PackageTool}, doing as little as it can: nothing
 * at all when every package is installed (a second setup is quick), else one refresh of the package lists (retried
 * once) and one install command. Optional packages the repositories do not offer are skipped with a warning.
 */
final class PackageInstaller {

    private final PackageTool tool;
    private final Console console;
    private final Duration timeout;

    PackageInstaller(PackageTool tool, Console console, Duration timeout) {
        this.tool = tool;
        this.console = console;
        this.timeout = timeout;
    }

    /**
     * @param sudo what runs a command with root's rights on {@code host} ({@code ""} or {@code "sudo -n "}); asked
     *             only when something is to be installed
     */
    void install(RemoteHost host, Supplier<String> sudo, List<String> required, List<String> optionalPackages) {
        Set<String> optional = new LinkedHashSet<>(optionalPackages);
        optional.removeAll(required);
        Set<String> all = new LinkedHashSet<>(required);
        all.addAll(optional);
        List<String> missing = missing(host, all);
        if (missing.isEmpty()) {
            console.status("packages already installed: " + String.join(" ", all));
            return;
        }
        String root = sudo.get();
        PackageCommands commands = new PackageCommands(console, timeout);
        refresh(host, root, commands);
        List<String> toInstall = new ArrayList<>();
        for (String pkg : missing) {
            if (optional.contains(pkg) && !host.exec(tool.offersCommand(pkg), timeout).succeeded()) {
                console.warn("package " + pkg + " is not offered by this distribution; skipping it");
            } else {
                toInstall.add(pkg);
            }
        }
        if (toInstall.isEmpty()) {
            return;
        }
        console.status("installing " + String.join(" ", toInstall));
        PackageCommands.Run install = commands.run(host, root + tool.installCommand(toInstall), "installing packages");
        if (!install.succeeded()) {
            throw new CgrenderException(tool.name() + " install failed (exit " + install.result().exitCode() + ")"
                    + tool.failingPackage(install.output().text()).map(p -> " on package " + p)
                    .orElse(" for " + String.join(" ", toInstall)) + "; last lines of its output:\n"
                    + install.lastLines());
        }
    }

    /** The packages of {@code wanted} that are not installed, in the order wanted. */
    private List<String> missing(RemoteHost host, Set<String> wanted) {
        Set<String> installed = tool.installed(host.exec(tool.installedQuery(List.copyOf(wanted)), timeout).stdout());
        List<String> missing = new ArrayList<>(wanted);
        missing.removeAll(installed);
        return missing;
    }

    private void refresh(RemoteHost host, String root, PackageCommands commands) {
        console.status("updating package lists");
        for (int attempt = 1; ; attempt++) {
            PackageCommands.Run refresh = commands.run(host, root + tool.refreshCommand(), "updating package lists");
            if (refresh.succeeded()) {
                return;
            }
            if (attempt == 2) {
                throw new CgrenderException("updating the package lists failed twice (" + tool.name() + ", exit "
                        + refresh.result().exitCode() + "); last lines of its output:\n" + refresh.lastLines());
            }
            console.warn("updating the package lists failed (exit " + refresh.result().exitCode() + "); retrying once");
        }
    }
}
