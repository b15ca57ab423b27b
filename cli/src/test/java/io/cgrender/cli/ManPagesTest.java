package io.cgrender.cli;

import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Requirement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manual pages are made from the commands' annotations, and the README's command reference must say what they
 * say: the same commands, and for each command the same options. Either drifting from the other fails here.
 */
class ManPagesTest {

    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[A-Za-z][\\w-]*)");
    private static final Pattern PAGE_OPTION = Pattern.compile("(?m)^\\.TP\\n(.*)$");
    private static final Pattern ROFF_NAME = Pattern.compile("\\\\fB(\\\\-(?:\\\\-)?[A-Za-z][\\w\\\\-]*)\\\\fR");

    private final Map<String, String> pages = ManPages.pages();

    /** Each command's own options (every name of each), as its page lists them under OPTIONS. */
    private Map<String, Set<String>> optionsByCommand() {
        Map<String, Set<String>> options = new LinkedHashMap<>();
        pages.forEach((file, roff) -> {
            String command = file.equals("cgrender.1") ? "cgrender"
                    : file.substring("cgrender-".length(), file.length() - ".1".length());
            Set<String> names = new LinkedHashSet<>();
            int start = roff.indexOf(".SH OPTIONS\n");
            if (start >= 0) {
                int end = roff.indexOf("\n.SH ", start + 1);
                Matcher terms = PAGE_OPTION.matcher(roff.substring(start, end < 0 ? roff.length() : end));
                while (terms.find()) {
                    Matcher n = ROFF_NAME.matcher(terms.group(1));
                    while (n.find()) {
                        names.add(n.group(1).replace("\\-", "-"));
                    }
                }
            }
            options.put(command, names);
        });
        return options;
    }

    /** The README's command reference: the options it names for each command, from its code block. */
    private static Map<String, Set<String>> readmeReference(Set<String> commands) throws IOException {
        String readme = Files.readString(Path.of("..", "README.md").toAbsolutePath().normalize(),
                StandardCharsets.UTF_8);
        int heading = readme.indexOf("\n## Commands\n");
        assertTrue(heading >= 0, "the README has a Commands section");
        int open = readme.indexOf("```\n", heading);
        int close = readme.indexOf("\n```", open + 4);
        List<String> lines = readme.substring(open + 4, close).lines().toList();
        Map<String, Set<String>> named = new LinkedHashMap<>();
        String current = "cgrender";
        named.put(current, new LinkedHashSet<>());
        for (String line : lines.subList(0, lines.size())) {
            for (String segment : line.split(" \\| ")) {
                Matcher start = Pattern.compile("^\\s*([a-z][a-z-]*)\\b").matcher(segment);
                if (start.find() && commands.contains(start.group(1)) && !start.group(1).equals("cgrender")) {
                    current = start.group(1);
                    named.putIfAbsent(current, new LinkedHashSet<>());
                }
                Matcher option = OPTION.matcher(segment);
                while (option.find()) {
                    named.get(current).add(option.group(1));
                }
            }
        }
        return named;
    }

    @Test
    void everyBuiltInCommandHasAPageAndNoOther() {
        Set<String> expected = new LinkedHashSet<>(List.of("cgrender.1"));
        for (Class<?> command : CgrenderCommand.BUILT_IN_COMMANDS) {
            expected.add("cgrender-" + command.getAnnotation(picocli.CommandLine.Command.class).name() + ".1");
        }
        assertEquals(expected, pages.keySet());
        pages.forEach((file, roff) -> {
            assertTrue(roff.startsWith(".TH " + file.replace(".1", "").toUpperCase() + " 1 "), file);
            assertTrue(roff.contains("\n.SH NAME\n") && roff.contains("\n.SH SYNOPSIS\n"), file);
        });
    }

    @Test
    void theReadmeNamesEveryCommandWithExactlyItsOptions() throws IOException {
        Map<String, Set<String>> pageOptions = optionsByCommand();
        Map<String, Set<String>> readme = readmeReference(pageOptions.keySet());
        assertEquals(pageOptions.keySet(), readme.keySet(), "the README's command reference names every command");
        List<String> drift = new ArrayList<>();
        pageOptions.forEach((command, options) -> {
            Set<String> mentioned = readme.get(command);
            for (String option : mentioned) {
                boolean global = pageOptions.get("cgrender").contains(option);
                if (!options.contains(option) && !global) {
                    drift.add(command + ": the README names " + option + ", which the command does not have");
                }
            }
            Set<String> missing = new LinkedHashSet<>(options);
            missing.removeIf(o -> o.equals("-h") || o.equals("--help") || o.equals("-V") || o.equals("--version"));
            // an option counts as mentioned when any of its names is
            missing.removeIf(o -> mentioned.contains(o) || aliasesOf(o, pages, command).stream()
                    .anyMatch(mentioned::contains));
            missing.forEach(o -> drift.add(command + ": the README does not name " + o));
        });
        assertEquals(List.of(), drift);
    }

    /** The other names of {@code option} on the page of {@code command}. */
    private static List<String> aliasesOf(String option, Map<String, String> pages, String command) {
        String roff = pages.get(command.equals("cgrender") ? "cgrender.1" : "cgrender-" + command + ".1");
        for (String line : roff.lines().toList()) {
            List<String> names = new ArrayList<>();
            Matcher n = ROFF_NAME.matcher(line);
            while (n.find()) {
                names.add(n.group(1).replace("\\-", "-"));
            }
            if (names.contains(option)) {
                return names;
            }
        }
        return List.of();
    }

    @Test
    void pagesAreCleanRoff(@TempDir Path dir) throws IOException {
        Requirement.require(Files.isExecutable(Path.of("/usr/bin/groff")), "groff is not installed (apt-get install"
                + " groff-base), and the test checks the manual pages with it");
        for (Map.Entry<String, String> page : pages.entrySet()) {
            Path file = Files.writeString(dir.resolve(page.getKey()), page.getValue());
            OsCommand.Result r = OsCommand.run(Duration.ofSeconds(30), "groff", "-man", "-ww", "-z", "-Tutf8",
                    file.toString());
            assertEquals(0, r.exitCode(), page.getKey() + ": " + r.stderr());
            assertEquals("", r.stderr(), page.getKey() + " has roff warnings");
        }
    }

    @Test
    void theDistributionShipsThePages() throws IOException {
        Path man = Path.of("target", "man", "man1");
        assertTrue(Files.isDirectory(man), "the build writes the pages to " + man.toAbsolutePath());
        for (Map.Entry<String, String> page : pages.entrySet()) {
            assertEquals(page.getValue(), Files.readString(man.resolve(page.getKey())), page.getKey());
        }
    }
}
