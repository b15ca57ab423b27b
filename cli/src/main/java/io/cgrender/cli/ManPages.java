package io.cgrender.cli;

import io.cgrender.core.plugin.Plugins;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The manual pages of cgrender, made from the same annotations as its {@code --help}: {@code cgrender.1} with the
 * global options and the command list, and {@code cgrender-COMMAND.1} for each built-in command, in man(7) roff. The
 * build writes them to {@code target/man/man1}, and the distribution ships them in {@code man/man1}.
 */
public final class ManPages {

    private static final String SECTION = "1";
    /** A usage width no synopsis reaches, so that picocli does not wrap it. */
    private static final int UNWRAPPED = 10_000;

    private ManPages() {
    }

    /** Writes every page into the directory {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: ManPages DIRECTORY");
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        for (Map.Entry<String, String> page : pages().entrySet()) {
            Files.writeString(dir.resolve(page.getKey()), page.getValue(), StandardCharsets.UTF_8);
        }
    }

    /** Every page by file name ({@code cgrender.1}, {@code cgrender-render.1}, …), for the built-in commands. */
    public static Map<String, String> pages() {
        StringWriter sink = new StringWriter();
        CommandLine root = Main.commandLine(new CgrenderCommand(new Invocation(InputStream.nullInputStream(),
                Map.of()), Plugins.builtIn()), new PrintWriter(sink), new PrintWriter(sink));
        String version = version();
        Map<String, String> pages = new LinkedHashMap<>();
        pages.put("cgrender." + SECTION, page(root, version, root));
        root.getSubcommands().forEach((name, command) -> {
            if (!name.equals("help")) {
                pages.put("cgrender-" + name + "." + SECTION, page(command, version, root));
            }
        });
        return pages;
    }

    private static String page(CommandLine command, String version, CommandLine root) {
        CommandSpec spec = command.getCommandSpec();
        boolean top = command == root;
        String name = top ? "cgrender" : "cgrender-" + spec.name();
        String[] description = spec.usageMessage().description();
        StringBuilder roff = new StringBuilder();
        roff.append(".TH ").append(name.toUpperCase()).append(' ').append(SECTION).append(" \"\" \"cgrender ")
                .append(version).append("\" \"cgrender manual\"\n.nh\n.ad l\n");
        roff.append(".SH NAME\n").append(name.replace("-", "\\-")).append(" \\- ")
                .append(text(description.length == 0 ? "" : description[0])).append('\n');
        roff.append(".SH SYNOPSIS\n").append(text(synopsis(command)));
        if (description.length > 1) {
            roff.append(".SH DESCRIPTION\n");
            for (int i = 1; i < description.length; i++) {
                roff.append(description[i].startsWith("  ") ? ".IP\n" : ".PP\n").append(text(description[i].strip()))
                        .append('\n');
            }
        }
        List<PositionalParamSpec> positionals = spec.positionalParameters();
        if (!positionals.isEmpty()) {
            roff.append(".SH ARGUMENTS\n");
            positionals.forEach(p -> item(roff, "\\fI" + text(p.paramLabel()) + "\\fR", p));
        }
        List<OptionSpec> own = new ArrayList<>();
        List<OptionSpec> global = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            (top || !o.inherited() ? own : global).add(o);
        }
        if (!own.isEmpty()) {
            roff.append(".SH OPTIONS\n");
            own.forEach(o -> item(roff, optionTerm(o), o));
        }
        if (!global.isEmpty()) {
            roff.append(".SH GLOBAL OPTIONS\n.PP\nAs for every command; see \\fBcgrender\\fR(1): ")
                    .append(String.join(", ", global.stream().map(o -> "\\fB" + o.longestName().replace("-", "\\-")
                            + "\\fR").toList())).append(".\n");
        }
        if (top) {
            roff.append(".SH COMMANDS\n");
            root.getSubcommands().forEach((sub, c) -> {
                if (!sub.equals("help")) {
                    String[] d = c.getCommandSpec().usageMessage().description();
                    roff.append(".TP\n\\fB").append(sub.replace("-", "\\-")).append("\\fR\n")
                            .append(text(d.length == 0 ? "" : d[0])).append('\n');
                }
            });
        }
        footer(roff, spec.usageMessage().footer());
        roff.append(".SH SEE ALSO\n");
        if (top) {
            roff.append(String.join(",\n", root.getSubcommands().keySet().stream().filter(s -> !s.equals("help"))
                    .map(s -> "\\fBcgrender\\-" + s.replace("-", "\\-") + "\\fR(1)").toList())).append('\n');
        } else {
            roff.append("\\fBcgrender\\fR(1)\n");
        }
        return roff.toString();
    }

    /** The usage line as {@code --help} prints it, on one line (roff fills it), without its {@code Usage: }. */
    private static String synopsis(CommandLine command) {
        command.setUsageHelpAutoWidth(false);
        command.setUsageHelpWidth(UNWRAPPED);
        return command.getHelp().synopsis(0).replaceFirst("^Usage: ", "").strip() + "\n";
    }

    /** The footer: an "Examples:" block becomes EXAMPLES; other lines become paragraphs of NOTES. */
    private static void footer(StringBuilder roff, String[] footer) {
        List<String> notes = new ArrayList<>();
        List<String> examples = new ArrayList<>();
        List<String> into = notes;
        for (String line : footer) {
            if (line.equals("Examples:")) {
                into = examples;
            } else if (!line.isBlank()) {
                into.add(line);
            }
        }
        if (!examples.isEmpty()) {
            roff.append(".SH EXAMPLES\n.nf\n");
            examples.forEach(e -> roff.append(text(e)).append('\n'));
            roff.append(".fi\n");
        }
        if (!notes.isEmpty()) {
            roff.append(".SH NOTES\n");
            for (String note : notes) {
                roff.append(note.startsWith("  ") ? ".nf\n" + text(note) + "\n.fi\n" : ".PP\n" + text(note) + "\n");
            }
        }
    }

    private static void item(StringBuilder roff, String term, ArgSpec arg) {
        roff.append(".TP\n").append(term).append('\n');
        for (String line : arg.description()) {
            roff.append(text(line)).append('\n');
        }
    }

    private static String optionTerm(OptionSpec option) {
        List<String> names = new ArrayList<>();
        for (String n : option.names()) {
            names.add("\\fB" + n.replace("-", "\\-") + "\\fR");
        }
        String term = String.join(", ", names);
        if (option.typeInfo().isBoolean() || option.arity().max() == 0) {
            return term;
        }
        return term + "=\\fI" + text(option.paramLabel()) + "\\fR";
    }

    /** {@code s} as roff text: backslashes escaped, no line starting with a control character. */
    static String text(String s) {
        String escaped = s.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder out = new StringBuilder();
        for (String line : escaped.split("\n", -1)) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(line.startsWith(".") || line.startsWith("'") ? "\\&" + line : line);
        }
        return out.toString();
    }

    private static String version() {
        try {
            return VersionProvider.cgrenderVersion();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
