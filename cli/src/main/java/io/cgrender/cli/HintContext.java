package io.cgrender.cli;

import io.cgrender.core.ssh.Shell;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options that decide where a command acts — namespace, cloud, region, profile, configuration file — as the user
 * gave them, carried into the {@code cgrender …} command lines of an error's {@code fix:} or {@code see:} line: a
 * user of {@code --cloud ec2 -n /alice/} is told {@code fix: cgrender --cloud ec2 -n /alice/ start i-…}, a line that
 * acts where the failed command did, never on the default cloud or namespace. An option the suggested line already
 * names is left to it.
 */
final class HintContext {

    /** The options of the context, by their longest name, in the order they are written into a hint. */
    private static final List<String> CONTEXT = List.of("--cloud", "--region", "--profile", "--namespace", "--config");
    /** "cgrender " starting a command line: not a config key (cgrender.x), a path (/bin/cgrender) or cgrender-box. */
    private static final Pattern COMMAND_LINE = Pattern.compile("(?<![\\w./-])cgrender (?=[a-z-])");

    private final Map<String, String> given;

    HintContext(Map<String, String> given) {
        this.given = given;
    }

    /** The context options matched anywhere on the command line (global options may follow the command). */
    static HintContext of(CommandLine.ParseResult parsed) {
        Map<String, String> given = new LinkedHashMap<>();
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            for (CommandLine.Model.OptionSpec option : p.matchedOptions()) {
                String name = option.longestName();
                if (CONTEXT.contains(name) && !option.originalStringValues().isEmpty()) {
                    given.put(name, option.originalStringValues().get(option.originalStringValues().size() - 1));
                }
            }
        }
        return new HintContext(given);
    }

    /** {@code hint} with the context's options after each {@code cgrender } that starts a command line. */
    String apply(String hint) {
        if (given.isEmpty()) {
            return hint;
        }
        Matcher m = COMMAND_LINE.matcher(hint);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String rest = hint.substring(m.end());
            List<String> words = new ArrayList<>();
            for (String name : CONTEXT) {
                String value = given.get(name);
                if (value != null && !names(rest, name)) {
                    words.add(shortest(name));
                    words.add(value);
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement("cgrender "
                    + (words.isEmpty() ? "" : Shell.join(words) + " ")));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Whether the command line starting {@code rest} already gives option {@code name} (in any of its forms). */
    private static boolean names(String rest, String name) {
        String line = rest.split("[,;)]| or ", 2)[0];
        List<String> words = List.of(line.split("\\s+"));
        return words.contains(name) || words.contains(shortest(name));
    }

    private static String shortest(String name) {
        return switch (name) {
            case "--namespace" -> "-n";
            case "--config" -> "-c";
            default -> name;
        };
    }
}
