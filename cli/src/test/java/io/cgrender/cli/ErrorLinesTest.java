package io.cgrender.cli;

import io.cgrender.core.plugin.Plugins;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Common mistakes, each run through the real command line: standard error is one {@code error: …} line, then at
 * most one {@code fix: …} or {@code see: …} line; a hint that is a cgrender command parses as one (no made-up
 * command or option), and a {@code see:} command runs.
 */
class ErrorLinesTest {

    @RegisterExtension
    final Cli cli = new Cli();

    /** Asserts the form of {@code r}'s error and its exit code; returns the hint line without its label. */
    private Optional<String> assertErrorLines(Cli.Result r, int code, String firstLineHas) {
        assertEquals(code, r.code(), r.toString());
        List<String> lines = r.err().lines().toList();
        assertTrue(lines.size() == 1 || lines.size() == 2, "one error line and at most one hint: " + r);
        String error = lines.get(0);
        assertTrue(error.startsWith("error: ") && error.length() > "error: ".length(), r.toString());
        assertTrue(error.contains(firstLineHas), "'" + firstLineHas + "' missing in: " + r);
        assertFalse(error.matches(".*\\b(see|fix): .*"), "the hint belongs on its own line: " + r);
        assertFalse(error.matches(".*[;:,(] ?cgrender [a-z-]+\\b.*") || error.matches(".*with: .*"),
                "no command in the error line: " + r);
        if (lines.size() == 1) {
            return Optional.empty();
        }
        String hint = lines.get(1);
        assertTrue(hint.startsWith("fix: ") || hint.startsWith("see: "), r.toString());
        String text = hint.substring(5);
        assertFalse(text.isBlank(), r.toString());
        if (text.startsWith("cgrender ")) {
            for (String command : text.split(" && ")) {
                assertParses(command, r);
            }
            if (hint.startsWith("see: ")) {
                Cli.Result read = cli.run(words(text).subList(1, words(text).size()).toArray(String[]::new));
                assertEquals(0, read.code(), "the place to read, " + text + ", works: " + read);
            }
        }
        return Optional.of(hint);
    }

    private Optional<String> assertRefused(Cli.Result r, String firstLineHas) {
        Optional<String> hint = assertErrorLines(r, 2, firstLineHas);
        assertEquals("", r.out(), r.toString());
        return hint;
    }

    /** Parses {@code command} (starting with {@code cgrender}) with the command model {@link Main} runs. */
    private void assertParses(String command, Cli.Result from) {
        List<String> words = words(command);
        assertEquals("cgrender", words.get(0), command);
        try (Plugins plugins = PluginSetup.load(new Invocation(java.io.InputStream.nullInputStream(), cli.env()),
                GlobalWords.none(), new PrintWriter(new StringWriter()))) {
            CommandLine root = Main.commandLine(new CgrenderCommand(new Invocation(
                    java.io.InputStream.nullInputStream(), cli.env()), plugins), new PrintWriter(new StringWriter()),
                    new PrintWriter(new StringWriter()));
            root.parseArgs(words.subList(1, words.size()).toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            fail("the hint '" + command + "' is no cgrender command line (" + e.getMessage() + "): " + from);
        }
    }

    /** The words of a POSIX shell command line without variables or globs: blanks separate, '…' and \ quote. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        boolean escaped = false;
        for (char c : line.toCharArray()) {
            if (escaped) {
                word.append(c);
                escaped = false;
            } else if (quoted) {
                if (c == '\'') {
                    quoted = false;
                } else {
                    word.append(c);
                }
            } else if (c == ' ') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = word == null ? new StringBuilder() : word;
                if (c == '\'') {
                    quoted = true;
                } else if (c == '\\') {
                    escaped = true;
                } else {
                    word.append(c);
                }
            }
        }
        assertFalse(quoted || escaped, "unbalanced quote in: " + line);
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    @Test
    void wordsSplitLikeAShell() {
        List<String> odd = List.of("cgrender", "create", "a b", "it's", "$HOME", "");
        assertEquals(odd, words(io.cgrender.core.ssh.Shell.join(odd)));
        assertEquals(List.of("rm", "-rf", "/tmp/a dir"), words("rm  -rf '/tmp/a dir'"));
    }

    @Test
    void aHintNamingACommandThatDoesNotExistFails() {
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> assertParses("cgrender lsit", new Cli.Result(2, "", "")));
        assertTrue(e.getMessage().contains("cgrender lsit"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> assertParses("cgrender terminate l-0123456789ab --forse", new Cli.Result(2, "", "")));
    }

    @Test
    void unknownBoxByRoleSaysHowToCreateOne() {
        Optional<String> hint = assertRefused(cli.run("ssh", "echo-box", "--", "true"),
                "no box 'echo-box' in namespace /tester/");
        assertEquals(Optional.of("fix: cgrender create echo-box"), hint);
    }

    @Test
    void aNameThatIsNeitherABoxNorARolePointsToTheList() {
        Optional<String> hint = assertRefused(cli.run("show", "nosuchbox"),
                "no box 'nosuchbox' in namespace /tester/, and no role of that name");
        assertEquals(Optional.of("see: cgrender list"), hint, "never a create of a role that does not exist");
    }

    @Test
    void unknownBoxByIdPointsToTheList() {
        Optional<String> hint = assertRefused(cli.run("terminate", "l-0123456789ab"), "no box 'l-0123456789ab'");
        assertEquals(Optional.of("see: cgrender list"), hint);
    }

    @Test
    void badOrdinalNamesTheForm() {
        assertRefused(cli.run("show", "echo-box#x"), "the ordinal after '#' must be a whole number, e.g. echo-box#0");
    }

    @Test
    void unknownRolePointsToTheRoles() {
        Optional<String> hint = assertRefused(cli.run("create", "openscad-box"), "unknown role 'openscad-box'");
        assertEquals(Optional.of("see: cgrender list-roles"), hint);
    }

    @Test
    void badAndUnknownJobIdsPointToTheJobs() {
        assertEquals(Optional.of("see: cgrender jobs"), assertRefused(cli.run("logs", "yesterday"),
                "'yesterday' is not a job id"));
        assertEquals(Optional.of("see: cgrender jobs"), assertRefused(cli.run("fetch", "j-20261125-014503-3f2a"),
                "no job j-20261125-014503-3f2a was started from here"));
    }

    @Test
    void unknownImagePointsToTheImages() {
        Optional<String> hint = assertRefused(cli.run("delete-image", "limg-000000000000"),
                "no image limg-000000000000 in namespace /tester/");
        assertEquals(Optional.of("see: cgrender list-images"), hint);
    }

    @Test
    void badNamespaceAndCloudAreOneLine() {
        assertEquals(Optional.empty(), assertRefused(cli.run("-n", "Alice", "list"), "invalid namespace 'Alice'"));
        assertEquals(Optional.empty(), assertRefused(cli.run("--cloud", "nimbus", "list"), "unknown cloud 'nimbus'"));
    }

    @Test
    void missingModelFileAndBadDefine() throws IOException {
        Path missing = cli.root().resolve("nowhere/model.scad");
        assertRefused(cli.run("render", missing.toString()), missing.toString());
        Path model = Files.createDirectories(cli.root().resolve("proj")).resolve("model.scad");
        Files.writeString(model, "cube(size);\n");
        assertRefused(cli.run("render", model.toString(), "-D", "size"), "bad -D 'size'");
        assertRefused(cli.run("render", model.toString(), "-D", "size=(1"), "-D 'size=(1'");
    }

    @Test
    void unknownCommandIsCorrectedInTheFix() {
        Optional<String> hint = assertRefused(cli.run("crate", "echo-box"), "'crate'");
        assertEquals(Optional.of("fix: cgrender create echo-box"), hint);
        assertEquals(Optional.of("fix: cgrender list"), assertRefused(cli.run("lsit"), "'lsit'; did you mean list?"),
                "a transposition picocli does not see");
    }

    @Test
    void unknownOptionIsCorrectedOrPointsToHelp() {
        Optional<String> hint = assertRefused(cli.run("list", "--jsno"),
                "Unknown option: '--jsno'; did you mean --json?");
        assertEquals(Optional.of("fix: cgrender list --json"), hint);
        Optional<String> transposed = assertRefused(cli.run("create", "--cuont", "2", "echo-box"),
                "'--cuont', 'echo-box'; did you mean --count?");
        assertEquals(Optional.of("fix: cgrender create --count 2 echo-box"), transposed);
        Optional<String> help = assertRefused(cli.run("create", "--xyzzy-plugh", "echo-box"), "'--xyzzy-plugh'");
        assertEquals(Optional.of("see: cgrender create --help"), help);
    }

    @Test
    void missingParameterPointsToHelp() {
        Optional<String> hint = assertRefused(cli.run("create"), "ROLE");
        assertEquals(Optional.of("see: cgrender create --help"), hint);
    }

    @Test
    void badOptionValuePointsToHelp() {
        Optional<String> hint = assertRefused(cli.run("create", "echo-box", "--count", "many"), "--count");
        assertEquals(Optional.of("see: cgrender create --help"), hint);
        assertRefused(cli.run("create", "echo-box", "--count", "0"), "--count must be at least 1");
    }

    @Test
    void rsyncWithoutABoxPathShowsOne() {
        Optional<String> hint = assertRefused(cli.run("rsync", "echo-box", "-av", "a/", "b/"),
                "start the box's path with ':'");
        assertEquals(Optional.of("fix: cgrender rsync echo-box -av dir/ :dir/"), hint);
    }

    @Test
    void unknownConfigKeyIsOneLine() throws IOException {
        Path conf = Files.writeString(cli.root().resolve("bad.conf"), "cgrender.box.idle-timout = 5m\n");
        assertRefused(cli.run("-c", conf.toString(), "list"), "unknown config key 'cgrender.box.idle-timout'");
    }

    @Test
    void recreateWithoutImageSaysHowToMakeOneAndThatWorks() {
        Cli.Result r = cli.run("recreate", "echo-box");
        Optional<String> hint = assertErrorLines(r, 1, "there is no image of role echo-box in namespace /tester/");
        assertTrue(hint.orElse("").startsWith("fix: cgrender "), r.toString());

        for (String command : hint.get().substring("fix: ".length()).split(" && ")) {
            List<String> words = words(command);
            cli.ok(words.subList(1, words.size()).toArray(String[]::new));
        }
        cli.ok("recreate", "echo-box");
    }

    @Test
    void sshToAStoppedBoxSaysHowToStartItAndThatWorks() {
        cli.ok("create", "echo-box");
        String id = cli.boxIds().get(0);
        cli.ok("stop", id);

        Cli.Result r = cli.run("ssh", "echo-box", "--", "true");
        Optional<String> hint = assertErrorLines(r, 1, "box " + id + " is stopped");
        assertEquals(Optional.of("fix: cgrender start " + id), hint);

        cli.ok(words(hint.get().substring(5)).subList(1, 3).toArray(String[]::new));
        Cli.Result again = cli.run("show", id);
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("running"), again.toString());
    }
}
