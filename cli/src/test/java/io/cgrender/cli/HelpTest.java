package io.cgrender.cli;

import io.cgrender.core.plugin.Plugins;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Help for every command: {@code cgrender COMMAND --help}, {@code -h} and {@code cgrender help COMMAND} print the
 * command's usage and exit 0, for each command registered, built in or from a plugin; so a new command cannot ship
 * without help. Built-in commands show examples.
 */
class HelpTest {

    @RegisterExtension
    final Cli cli = new Cli();

    /** The names of the commands registered with a plugin directory holding the example plugin. */
    private List<String> commands() throws IOException {
        Files.createDirectories(cli.pluginDir());
        Files.copy(PluginEndToEndTest.examplePlugin(), cli.pluginDir().resolve("povray-plugin.jar"));
        try (Plugins plugins = PluginSetup.load(new Invocation(java.io.InputStream.nullInputStream(), cli.env()),
                GlobalWords.none(), new PrintWriter(new StringWriter()))) {
            CommandLine root = Main.commandLine(new CgrenderCommand(new Invocation(
                    java.io.InputStream.nullInputStream(), cli.env()), plugins), new PrintWriter(new StringWriter()),
                    new PrintWriter(new StringWriter()));
            return new ArrayList<>(root.getSubcommands().keySet());
        }
    }

    @Test
    void everyCommandPrintsItsUsageWithHelpDashHAndTheHelpCommand() throws IOException {
        List<String> commands = commands();
        assertTrue(commands.containsAll(List.of("render", "create", "list", "povray", "help")), commands.toString());
        for (String command : commands) {
            for (String[] args : List.of(new String[] {command, "--help"}, new String[] {command, "-h"},
                    new String[] {"help", command})) {
                Cli.Result r = cli.run(args);
                String asTyped = "cgrender " + String.join(" ", args);
                assertEquals(0, r.code(), asTyped + "\n" + r);
                assertTrue(r.out().contains("Usage: cgrender " + command + " "), asTyped + "\n" + r);
                assertEquals("", r.err(), asTyped);
            }
        }
    }

    @Test
    void builtInCommandsShowExamplesThatNameThemselves() throws IOException {
        Set<String> withoutExamples = Set.of("help", "povray");
        for (String command : commands()) {
            if (withoutExamples.contains(command)) {
                continue;
            }
            String usage = cli.ok(command, "--help").out();
            assertTrue(usage.contains("\nExamples:\n  "), command + ":\n" + usage);
            String examples = usage.substring(usage.indexOf("\nExamples:\n"));
            assertTrue(examples.contains("cgrender " + command), command + ":\n" + examples);
        }
    }

    @Test
    void noCommandPrintsTheCommandListAndTheQuickStart() {
        Cli.Result r = cli.run();
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\nCommands:\n"), r.out());
        assertTrue(r.out().contains("Quick start"), r.out());
        assertTrue(r.out().contains("cgrender render examples/models/tiny/cube.scad"), r.out());
        assertTrue(r.out().contains("30 min idle or 8 h"), "the defaults that end a box: " + r.out());
    }

    @Test
    void helpOnAnUnknownCommandIsBadInput() {
        Cli.Result r = cli.run("help", "rendr");
        assertEquals(Main.USAGE, r.code(), r.toString());
        assertTrue(r.err().startsWith("error: Unknown subcommand 'rendr'"), r.err());
    }
}
