package io.cgrender.cli;

import io.cgrender.core.box.Roles;
import io.cgrender.core.cloud.CloudProviders;
import io.cgrender.core.doctor.Check;
import io.cgrender.core.doctor.CheckResult;
import io.cgrender.core.plugin.PluginPath;
import io.cgrender.core.plugin.Plugins;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code cgrender doctor}'s check of the plugins: loads them again as the command line does (the same plugin path,
 * jars, roles, cloud providers and commands), collecting every warning instead of printing it. A jar or class that is
 * skipped is a warning; two plugins claiming one role or cloud fail, as every command that needs them would.
 */
public final class PluginCheck implements Check {

    private final CgrenderCommand root;
    private final Session session;

    public PluginCheck(CgrenderCommand root, Session session) {
        this.root = root;
        this.session = session;
    }

    @Override
    public String name() {
        return "plugins";
    }

    @Override
    public CheckResult run() {
        Invocation invocation = session.invocation();
        List<String> warnings = new ArrayList<>();
        List<Path> jars = PluginPath.resolve(root.pluginPath(), invocation.env().get(PluginPath.ENV),
                invocation.dirs().plugins(), invocation.cwd(), warnings::add);
        try (Plugins plugins = Plugins.load(jars, PluginSetup.class.getClassLoader(), warnings::add)) {
            Roles roles = Roles.discover(plugins, Optional.of(invocation.dirs().state().resolve("role-index")));
            CloudProviders clouds = CloudProviders.discover(plugins);
            PrintWriter nowhere = new PrintWriter(OutputStream.nullOutputStream());
            Main.commandLine(new CgrenderCommand(invocation, plugins), nowhere, nowhere); // adds plugin commands
            String detail = (plugins.loaded().isEmpty() ? "no plugin jars (" + invocation.dirs().plugins() + ", $"
                    + PluginPath.ENV + ", --plugin-path)" : plugins.loaded().size() + " plugin jar(s): "
                    + String.join(", ", plugins.loaded().stream().map(l -> l.jar().path().toString()).toList()))
                    + "; roles: " + String.join(", ", roles.all().keySet()) + "; clouds: "
                    + String.join(", ", clouds.all().keySet().stream().sorted().toList());
            if (warnings.isEmpty()) {
                return CheckResult.ok(detail);
            }
            return CheckResult.warn(detail + "; " + warnings.size() + " warning(s): " + String.join("; ", warnings),
                    "rebuild or remove the jars named above").withSee("README.md#write-your-own-box-plugins");
        }
    }
}
