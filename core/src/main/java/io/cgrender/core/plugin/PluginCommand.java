package io.cgrender.core.plugin;

/**
 * A command a plugin adds to {@code cgrender}. The class is a picocli command — it carries
 * {@code @picocli.CommandLine.Command(name = "…", description = "…")} and may declare {@code @Option} and
 * {@code @Parameters} fields — with a public no-arg constructor, and is registered in the plugin jar's
 * {@code META-INF/services/io.cgrender.core.plugin.PluginCommand}. It becomes a subcommand of {@code cgrender}
 * with the global options ({@code -n}, {@code --cloud}, {@code -v}, …), {@code --help}, and the CLI's error
 * handling and exit codes: throw {@link io.cgrender.core.UsageException} for bad input (exit 2) and
 * {@link io.cgrender.core.CgrenderException} for a failure (exit 1). A plugin command never replaces a built-in one.
 */
public interface PluginCommand {

    /** Does the command's work; returns its exit code. */
    int execute(CommandContext context) throws Exception;
}
