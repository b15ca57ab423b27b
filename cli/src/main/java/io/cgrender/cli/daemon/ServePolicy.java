package io.cgrender.cli.daemon;

import io.cgrender.cli.GlobalWords;
import io.cgrender.cli.Invocation;
import io.cgrender.cli.Main;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which command lines the daemon runs: those whose output and behaviour do not depend on being the process the user
 * started. The others run in the front end, exactly as without a daemon.
 */
final class ServePolicy {

    /**
     * Commands that use the terminal (a remote shell, rsync, a confirmation prompt, picocli's help with its colours)
     * or check the whole installation.
     */
    private static final Set<String> OWN_PROCESS = Set.of("ssh", "rsync", "terminate", "help", "completion",
            "doctor");

    /** Help and version (picocli colours them for a terminal), and -v (it turns on the libraries' logging). */
    private static final Set<String> OWN_PROCESS_OPTIONS = Set.of("-h", "--help", "-V", "--version", "-v",
            "--verbose");

    private ServePolicy() {
    }

    /** Why the daemon does not run {@code args}; empty when it does. */
    static Optional<String> declines(Invocation invocation, List<String> args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                break;
            }
            if (OWN_PROCESS_OPTIONS.contains(arg)) {
                return Optional.of(arg + " runs in the front end");
            }
        }
        Optional<String> command = GlobalWords.of(invocation, args.toArray(String[]::new)).command();
        if (command.isEmpty()) {
            return Optional.of("no command");
        }
        if (OWN_PROCESS.contains(command.get())) {
            return Optional.of(command.get() + " runs in the front end");
        }
        if (!Main.isBuiltIn(command.get())) {
            return Optional.of("'" + command.get() + "' is not a built-in command");
        }
        return Optional.empty();
    }
}
