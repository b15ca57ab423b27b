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
     * or check the whole installation, or the daemon itself.
     */
    private static final Set<String> OWN_PROCESS = Set.of("ssh", "rsync", "terminate", "help", "completion",
            "doctor", "daemon");

    /** Help and version (picocli colours them for a terminal), and -v (it turns on the libraries' logging). */
    private static final Set<String> OWN_PROCESS_OPTIONS = Set.of("-h", "--help", "-V", "--version", "-v",
            "--verbose");

    private ServePolicy() {
    }

    /** Why the daemon does not run {@code args}; empty when it does. */
    static Optional<String> declines(Invocation invocation, List<String> args) {
        Optional<String> option = ownProcessOption(args);
        if (option.isPresent()) {
            return Optional.of(option.get() + " runs in the front end");
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

    /**
     * Whether the front end can tell without any model that no daemon would run {@code args} (no command, help,
     * version, -v, a command of {@link #OWN_PROCESS}): then it starts none for them. (A word taken for such a command
     * that is an option's value only means that no daemon is started this time.)
     */
    static boolean declinedAtSight(List<String> args) {
        if (args.isEmpty() || ownProcessOption(args).isPresent()) {
            return true;
        }
        for (String arg : args) { // a loop, not a stream: the front end starts no lambda machinery for this
            if (arg.equals("--")) {
                return false;
            }
            if (OWN_PROCESS.contains(arg)) {
                return true;
            }
        }
        return false;
    }

    private static Optional<String> ownProcessOption(List<String> args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                break;
            }
            if (OWN_PROCESS_OPTIONS.contains(arg)) {
                return Optional.of(arg);
            }
        }
        return Optional.empty();
    }
}
