package io.cgrender.cli;

import io.cgrender.cli.commands.CancelCommand;
import io.cgrender.cli.commands.CompletionCommand;
import io.cgrender.cli.commands.CreateCommand;
import io.cgrender.cli.commands.DaemonCommand;
import io.cgrender.cli.commands.DeleteImageCommand;
import io.cgrender.cli.commands.DoctorCommand;
import io.cgrender.cli.commands.ExtendCommand;
import io.cgrender.cli.commands.FetchCommand;
import io.cgrender.cli.commands.GcCommand;
import io.cgrender.cli.commands.ImageCommand;
import io.cgrender.cli.commands.JobsCommand;
import io.cgrender.cli.commands.ListCommand;
import io.cgrender.cli.commands.ListImagesCommand;
import io.cgrender.cli.commands.ListKeysCommand;
import io.cgrender.cli.commands.ListRolesCommand;
import io.cgrender.cli.commands.LogsCommand;
import io.cgrender.cli.commands.PingCommand;
import io.cgrender.cli.commands.RecreateCommand;
import io.cgrender.cli.commands.RegisterKeyCommand;
import io.cgrender.cli.commands.RemoveKeyCommand;
import io.cgrender.cli.commands.RenderCommand;
import io.cgrender.cli.commands.RsyncCommand;
import io.cgrender.cli.commands.RunCommand;
import io.cgrender.cli.commands.ShowCommand;
import io.cgrender.cli.commands.SshCommand;
import io.cgrender.cli.commands.StartCommand;
import io.cgrender.cli.commands.StopCommand;
import io.cgrender.cli.commands.TerminateCommand;
import io.cgrender.core.plugin.Plugins;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The top-level command: global options and the list of subcommands. */
@Command(name = "cgrender",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {"Runs heavy one-off work, OpenSCAD renders first of all, on disposable cloud boxes.",
                "Boxes end themselves when idle or too old; nothing is left running by accident."},
        footer = {"", "BOX is a ROLE (when it has one box), ROLE#ORDINAL (0 = oldest, -1 = newest) or a box id.",
                "Exit codes: 0 ok, 1 failure (cleaned up), 2 bad input (nothing launched), 3 cleanup incomplete (ids"
                        + " printed).",
                "",
                "Quick start (the local cloud needs no account):",
                "  cgrender render examples/models/tiny/cube.scad  # makes a box, renders",
                "  cgrender list                                   # your namespace's boxes",
                "  cgrender terminate openscad-ubuntu-box          # ends the box now",
                "Boxes end themselves after 30 min idle or 8 h in all (cgrender.box.idle-timeout and max-lifetime);",
                "cgrender extend BOX 2h, or cgrender-box extend|keep|release on the box, changes that.",
                "Something not working? cgrender doctor checks this machine and the cloud, and says how to fix them.",
                "Help on a command: cgrender help COMMAND, or cgrender COMMAND --help."})
public final class CgrenderCommand implements Runnable {

    /** The built-in subcommands, in the order help lists them; plugin commands follow. */
    static final List<Class<?>> BUILT_IN_COMMANDS = List.of(
            ListRolesCommand.class,
            CreateCommand.class,
            ListCommand.class,
            ShowCommand.class,
            SshCommand.class,
            RsyncCommand.class,
            StopCommand.class,
            StartCommand.class,
            TerminateCommand.class,
            ImageCommand.class,
            RecreateCommand.class,
            ListImagesCommand.class,
            DeleteImageCommand.class,
            RenderCommand.class,
            RunCommand.class,
            JobsCommand.class,
            LogsCommand.class,
            FetchCommand.class,
            CancelCommand.class,
            RegisterKeyCommand.class,
            ListKeysCommand.class,
            RemoveKeyCommand.class,
            PingCommand.class,
            ExtendCommand.class,
            GcCommand.class,
            DaemonCommand.class,
            DoctorCommand.class,
            CompletionCommand.class);

    private final Invocation invocation;
    private final Plugins plugins;

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT, paramLabel = "NS",
            description = "Namespace of the boxes, e.g. /alice/ (default: $CGRENDER_NAMESPACE or /__me__/).")
    String namespace;

    @Option(names = "--cloud", scope = ScopeType.INHERIT, paramLabel = "CLOUD",
            description = "Cloud to use: local (default), ec2, or another provider plugin's name.")
    String cloud;

    @Option(names = {"-c", "--config"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Extra configuration file (HOCON), over $XDG_CONFIG_HOME/cgrender/cgrender.conf.")
    Path configFile;

    @Option(names = "--region", scope = ScopeType.INHERIT, paramLabel = "REGION",
            description = "AWS region of the ec2 cloud, e.g. eu-west-1 (default: $AWS_REGION, or the profile's).")
    String region;

    @Option(names = "--profile", scope = ScopeType.INHERIT, paramLabel = "PROFILE",
            description = "AWS profile of ~/.aws/credentials and ~/.aws/config for the ec2 cloud (default: $AWS_PROFILE).")
    String profile;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show each step, command output and library warnings.")
    boolean verbose;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print results as JSON.")
    boolean json;

    // Not inherited: it decides which commands exist, so it has to come before the command.
    @Option(names = "--plugin-path", paramLabel = "DIR|JAR",
            description = {"Load plugin jars from DIR (its *.jar files) or JAR; repeatable. Also from "
                    + "$CGRENDER_PLUGIN_PATH (':'-separated) and $XDG_CONFIG_HOME/cgrender/plugins/.",
                    "Goes before the command."})
    List<Path> pluginPath = new ArrayList<>();

    public CgrenderCommand(Invocation invocation, Plugins plugins) {
        this.invocation = invocation;
        this.plugins = plugins;
    }

    public Invocation invocation() {
        return invocation;
    }

    /** The plugin jars of this invocation. */
    public Plugins plugins() {
        return plugins;
    }

    List<Path> pluginPath() {
        return pluginPath;
    }

    public GlobalOptions options() {
        return new GlobalOptions(namespace, cloud, configFile, verbose, json, region, profile);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
