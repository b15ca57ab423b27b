package io.cgrender.cli;

import io.cgrender.core.plugin.Plugins;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a command line says before its command: the {@code --plugin-path} values (they decide which commands exist)
 * and the command's name. Read with the global options' own definitions, stopping at the first word they do not know;
 * a mistake is left for the real parse to report.
 *
 * @param pluginPath the {@code --plugin-path} values given before the command
 * @param command    the first word that is not a global option, if any: the command's name, or a mistake
 * @param version    {@code --version} was asked for
 */
public record GlobalWords(List<Path> pluginPath, Optional<String> command, boolean version) {

    /** A command line with nothing before its command. */
    static GlobalWords none() {
        return new GlobalWords(List.of(), Optional.empty(), false);
    }

    /** What {@code args} says before its command. */
    public static GlobalWords of(Invocation invocation, String[] args) {
        CgrenderCommand globals = new CgrenderCommand(invocation, Plugins.builtIn());
        CommandLine parser = new CommandLine(globals);
        parser.setStopAtUnmatched(true);
        try {
            parser.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return none();
        }
        return new GlobalWords(globals.pluginPath(), parser.getUnmatchedArguments().stream().findFirst()
                .filter(word -> !word.startsWith("-")), parser.isVersionHelpRequested());
    }
}
