package io.cgrender.cli;

import io.cgrender.core.plugin.PluginCommand;
import io.cgrender.core.plugin.PluginPath;
import io.cgrender.core.plugin.Plugins;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The CLI's side of plugins: the plugin path of an invocation, built once before the command line is parsed (it
 * decides which commands exist), the commands plugins contribute, and running them like built-in ones.
 */
final class PluginSetup {

    private PluginSetup() {
    }

    /**
     * Loads the plugins of {@code --plugin-path} (given before the command), {@code CGRENDER_PLUGIN_PATH} and
     * {@code $XDG_CONFIG_HOME/cgrender/plugins/}. Problems with a jar are warnings on {@code err}.
     *
     * @throws io.cgrender.core.UsageException if a {@code --plugin-path} does not exist
     */
    static Plugins load(Invocation invocation, GlobalWords words, PrintWriter err) {
        Consumer<String> warn = message -> {
            err.println("warning: " + message);
            err.flush();
        };
        List<Path> jars = PluginPath.resolve(words.pluginPath(), invocation.env().get(PluginPath.ENV),
                invocation.dirs().plugins(), invocation.cwd(), warn);
        return Plugins.load(jars, PluginSetup.class.getClassLoader(), warn);
    }

    /** Adds each plugin's {@link PluginCommand}s as subcommands; one that clashes or is malformed is skipped. */
    static void addCommands(CommandLine cli, Plugins plugins) {
        for (Plugins.Found<PluginCommand> found : plugins.services(PluginCommand.class)) {
            String what = "command " + found.provider().getClass().getName() + " of " + found.source();
            CommandLine command;
            try {
                command = new CommandLine(found.provider());
            } catch (CommandLine.InitializationException e) {
                plugins.warn(what + " is not a valid picocli command (" + e.getMessage() + "); skipped");
                continue;
            }
            String name = command.getCommandName();
            if (!found.provider().getClass().isAnnotationPresent(CommandLine.Command.class)
                    || name.equals(CommandLine.Model.CommandSpec.DEFAULT_COMMAND_NAME)) {
                plugins.warn(what + " has no @Command(name = ...); skipped");
                continue;
            }
            if (cli.getSubcommands().containsKey(name)) {
                plugins.warn(what + " is named '" + name + "', which cgrender already has; skipped");
                continue;
            }
            try {
                command.getCommandSpec().mixinStandardHelpOptions(true);
                cli.addSubcommand(name, command);
            } catch (CommandLine.InitializationException e) {
                plugins.warn(what + " clashes with cgrender's options (" + e.getMessage() + "); skipped");
            }
        }
    }

    /** Runs the parsed command: a plugin's through a {@link Session}, like {@link AbstractCommand}s; others as usual. */
    static int execute(ParseResult parsed) {
        Integer help = CommandLine.executeHelpRequest(parsed);
        if (help != null) {
            return help;
        }
        ParseResult last = parsed;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        if (last.commandSpec().userObject() instanceof PluginCommand command) {
            try {
                return AbstractCommand.withSession(last.commandSpec(), java.util.Map.of(), command::execute);
            } catch (Exception e) {
                throw new CommandLine.ExecutionException(last.commandSpec().commandLine(),
                        "plugin command " + last.commandSpec().name() + " failed", e);
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }
}
