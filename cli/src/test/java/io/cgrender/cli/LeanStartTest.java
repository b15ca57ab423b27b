package io.cgrender.cli;

import io.cgrender.core.plugin.Plugins;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A command line builds only what its command needs: {@code --version} neither plugins nor commands, a built-in
 * command only its own model; help, completion, the doctor and mistakes still see every command.
 */
class LeanStartTest {

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void versionLoadsNoPlugin() throws IOException {
        Files.createDirectories(cli.pluginDir());
        Files.writeString(cli.pluginDir().resolve("broken.jar"), "not a jar");
        Cli.Result version = cli.ok("--version");
        assertTrue(version.out().startsWith("cgrender "), version.toString());
        assertEquals("", version.err(), "the broken plugin was not even looked at: " + version);
        assertTrue(cli.ok("list-roles").err().contains("warning: "), "while a command does look at it");
    }

    @Test
    void aBuiltInCommandGetsItsOwnModelOnly() {
        assertEquals(List.of("list", "help"), commands("-n", "/alice/", "--cloud", "local", "list", "--json"));
        assertEquals(List.of("render", "help"), commands("-v", "render", "-n", "/x/", "cube.scad"));
        assertEquals(List.of("help"), commands("--version"));
        int all = CgrenderCommand.BUILT_IN_COMMANDS.size() + 1;
        for (List<String> everything : List.of(List.<String>of(), List.of("help", "list"), List.of("lsit"),
                List.of("completion"), List.of("doctor"), List.of("--xyzzy", "list"), List.of("-n"))) {
            assertEquals(all, commands(everything.toArray(String[]::new)).size(), everything.toString());
        }
    }

    @Test
    void mistakesStillGetTheClosestCommand() {
        Cli.Result typo = cli.run("lsit");
        assertEquals(Main.USAGE, typo.code(), typo.toString());
        assertTrue(typo.err().contains("did you mean list?"), typo.toString());
        Cli.Result option = cli.run("list", "--jsno");
        assertEquals(Main.USAGE, option.code(), option.toString());
        assertTrue(option.err().contains("did you mean --json?"), option.toString());
    }

    private List<String> commands(String... args) {
        Invocation invocation = new Invocation(java.io.InputStream.nullInputStream(), cli.env());
        GlobalWords words = GlobalWords.of(invocation, args);
        try (Plugins plugins = PluginSetup.load(invocation, words, new PrintWriter(new StringWriter()))) {
            CommandLine root = Main.commandLine(new CgrenderCommand(invocation, plugins),
                    new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), words);
            return List.copyOf(root.getSubcommands().keySet());
        }
    }
}
