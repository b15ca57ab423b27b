package io.cgrender.cli;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.CleanupIncompleteException;
import io.cgrender.core.UsageException;
import io.cgrender.core.plugin.Plugins;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.ClosestNames;
import picocli.CommandLine;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code cgrender} command. {@link #run} is the seam tests use: it takes the streams and environment a process
 * would have and returns the exit code instead of exiting.
 * <p>
 * Exit codes: 0 ok, 1 failure (cleaned up), 2 usage or bad input (nothing launched), 3 cleanup incomplete (the ids
 * left behind are printed).
 */
public final class Main {

    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int CLEANUP_INCOMPLETE = 3;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(runHere(args));
    }

    /** Runs one command line in this process, as its only command, on its standard streams; returns the exit code. */
    public static int runHere(String... args) {
        quietLibraries(args);
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(System.in, out, err, System.getenv(), args);
        out.flush();
        err.flush();
        return code;
    }

    /** Runs one command line against the given streams and environment. */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
        return run(new Invocation(in, env), out, err, args);
    }

    /** Runs one command line of {@code invocation}, writing to {@code out} and {@code err}. */
    public static int run(Invocation invocation, PrintWriter out, PrintWriter err, String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // Nothing else to set up: no plugins, no command model.
            try {
                for (String line : new VersionProvider().getVersion()) {
                    out.println(line);
                }
            } catch (java.io.IOException e) {
                err.println("error: cannot read cgrender's version: " + e.getMessage());
                return FAILURE;
            }
            out.flush();
            return OK;
        }
        GlobalWords words = GlobalWords.of(invocation, args);
        Plugins plugins;
        try {
            plugins = PluginSetup.load(invocation, words, err);
        } catch (CgrenderException e) {
            err.println("error: " + e.getMessage());
            e.hint().ifPresent(err::println);
            err.flush();
            return e instanceof UsageException ? USAGE : FAILURE;
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (plugins) {
            CommandLine cli = commandLine(new CgrenderCommand(invocation, plugins), out, err, words);
            // Code that looks for services through the context class loader sees the plugins' too.
            thread.setContextClassLoader(plugins.classLoader());
            return cli.execute(args);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Runs with no standard input. */
    public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
        return run(InputStream.nullInputStream(), out, err, env, args);
    }

    /** The command line with every command: what help, completion and the manual pages show. */
    static CommandLine commandLine(CgrenderCommand root, PrintWriter out, PrintWriter err) {
        return commandLine(root, out, err, GlobalWords.none());
    }

    /**
     * The command line for {@code words}: only the command it names when that is a built-in one ({@code --version}
     * alone: none), since building picocli's model of every command is most of the start-up work; every command
     * otherwise (help, a plugin's command, a mistake, which gets the closest names).
     */
    static CommandLine commandLine(CgrenderCommand root, PrintWriter out, PrintWriter err, GlobalWords words) {
        CommandLine cli = new CommandLine(root);
        List<Class<?>> needed = words.command().isEmpty() && words.version() ? List.of()
                : words.command().flatMap(Main::builtIn).map(List::<Class<?>>of)
                .orElse(CgrenderCommand.BUILT_IN_COMMANDS);
        for (Class<?> command : needed) {
            cli.addSubcommand(command);
        }
        PluginSetup.addCommands(cli, root.plugins());
        cli.addSubcommand("help", new CommandLine.HelpCommand());
        cli.getSubcommands().values().forEach(Main::offerHelp);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionStrategy(PluginSetup::execute);
        cli.setExecutionExceptionHandler(Main::handleFailure);
        cli.setParameterExceptionHandler(Main::handleBadArguments);
        // Everything after BOX belongs to the remote command or to rsync, options included.
        for (String passThrough : new String[] {"ssh", "rsync"}) {
            Optional.ofNullable(cli.getSubcommands().get(passThrough)).ifPresent(c -> c.setStopAtPositional(true));
        }
        return cli;
    }

    /** Whether {@code name} is one of cgrender's own commands (not a plugin's). */
    public static boolean isBuiltIn(String name) {
        return CgrenderCommand.BUILT_IN_COMMANDS.stream()
                .anyMatch(c -> c.getAnnotation(CommandLine.Command.class).name().equals(name));
    }

    /** The built-in command called {@code name}, unless it needs to see every other command. */
    private static Optional<Class<?>> builtIn(String name) {
        if (WANT_EVERY_COMMAND.contains(name)) {
            return Optional.empty();
        }
        return CgrenderCommand.BUILT_IN_COMMANDS.stream()
                .filter(c -> c.getAnnotation(CommandLine.Command.class).name().equals(name)).findFirst();
    }

    /** Commands that show or check the others: help, shell completion, the doctor's check of plugin commands. */
    private static final java.util.Set<String> WANT_EVERY_COMMAND = java.util.Set.of("help", "completion", "doctor");

    /** Gives a command {@code -h}/{@code --help}, unless it has them: every command prints its usage with them. */
    private static void offerHelp(CommandLine command) {
        CommandLine.Model.CommandSpec spec = command.getCommandSpec();
        if (spec.findOption("--help") == null && spec.findOption("-h") == null) {
            spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                    .description("Show this help and exit.").build());
        }
    }

    /** The one place where failures become messages and exit codes. */
    private static int handleFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        boolean verbose = parsed != null && parsed.hasMatchedOption("-v");
        if (e instanceof CleanupIncompleteException incomplete) {
            err.println("error: " + incomplete.getMessage());
            if (!incomplete.leftBehind().isEmpty()) {
                err.println("left behind (remove by hand or with cgrender terminate):");
                incomplete.leftBehind().forEach(item -> err.println("  " + item));
            }
            trace(err, e, verbose);
            return CLEANUP_INCOMPLETE;
        }
        if (e instanceof CgrenderException failure) {
            err.println("error: " + failure.getMessage());
            failure.hint().map(HintContext.of(parsed)::apply).ifPresent(err::println);
            trace(err, e, verbose);
            return e instanceof UsageException ? USAGE : FAILURE;
        }
        err.println("error: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage()
                + (verbose ? "" : " (run with -v for details)"));
        trace(err, e, verbose);
        return FAILURE;
    }

    /**
     * picocli's message and its suggestions in one line; then the command line with the first (most similar)
     * suggestion in place of the word it corrects, or else where the command's options are described.
     */
    private static int handleBadArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        List<String> suggestions = e instanceof CommandLine.UnmatchedArgumentException unmatched
                ? suggestions(unmatched) : List.of();
        err.println("error: " + String.join("; ", String.valueOf(e.getMessage()).strip().split("\\R+"))
                + (suggestions.isEmpty() ? "" : "; did you mean " + String.join(" or ", suggestions) + "?"));
        Optional<List<String>> corrected = suggestions.isEmpty() ? Optional.empty()
                : corrected(((CommandLine.UnmatchedArgumentException) e).getUnmatched(), suggestions.get(0), args);
        err.println(corrected.map(words -> "fix: " + cli.getCommandSpec().root().name() + " " + Shell.join(words))
                .orElse("see: " + cli.getCommandSpec().qualifiedName() + " --help"));
        return USAGE;
    }

    /**
     * picocli's suggestions for an unmatched word, or else the commands or options closest to it by edit distance
     * (picocli finds {@code creat} but not {@code lsit}).
     */
    private static List<String> suggestions(CommandLine.UnmatchedArgumentException e) {
        if (!e.getSuggestions().isEmpty() || e.getUnmatched().isEmpty()) {
            return e.getSuggestions();
        }
        String word = e.getUnmatched().get(0);
        CommandLine.Model.CommandSpec spec = e.getCommandLine().getCommandSpec();
        return word.startsWith("-")
                ? ClosestNames.to(word, spec.options().stream().flatMap(o -> Arrays.stream(o.names())).toList())
                : ClosestNames.to(word, spec.subcommands().keySet());
    }

    /** {@code args} with {@code suggestion} in place of the first unmatched word, if that word occurs once. */
    private static Optional<List<String>> corrected(List<String> unmatched, String suggestion, String[] args) {
        if (unmatched.isEmpty() || unmatched.get(0).contains("=") || suggestion.isBlank() || suggestion.contains(" ")) {
            return Optional.empty();
        }
        List<String> words = new ArrayList<>(Arrays.asList(args));
        int at = words.indexOf(unmatched.get(0));
        if (at < 0 || words.lastIndexOf(unmatched.get(0)) != at) {
            return Optional.empty();
        }
        words.set(at, suggestion);
        return Optional.of(words);
    }

    private static void trace(PrintWriter err, Exception e, boolean verbose) {
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
    }

    /** MINA and friends log through slf4j-simple: warnings and worse only, and only with -v. */
    public static void quietLibraries(String... args) {
        boolean verbose = false;
        for (String arg : args) {
            if (arg.equals("-v") || arg.equals("--verbose")) {
                verbose = true;
            }
            if (arg.equals("--")) {
                break;
            }
        }
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "warn" : "off");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
}
