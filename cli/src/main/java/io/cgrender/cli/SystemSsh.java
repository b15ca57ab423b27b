package io.cgrender.cli;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ssh.Shell;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The system OpenSSH client, for interactive sessions and rsync, held to the same strict policy as cgrender's own
 * client: the namespace key (and, for an adopted instance, the user's own key) only, the pinned host key only ({@code StrictHostKeyChecking=yes} with the box id as
 * {@code HostKeyAlias} in cgrender's known_hosts), never prompting to add a key.
 * <p>
 * It reads no ssh configuration ({@code -F none}): neither {@code ~/.ssh/config} nor {@code /etc/ssh/ssh_config}, so
 * no ForwardAgent, ControlMaster, ProxyCommand or KnownHostsCommand of the user's applies to a box; only the options
 * below do. Paths are quoted for ssh's own word splitting and token expansion, so a path with a space or a '%' is one
 * file, never two.
 */
public final class SystemSsh {

    private final List<Path> identities;
    private final Path knownHosts;
    private final String alias;
    private final SshEndpoint endpoint;

    SystemSsh(Path identity, Path knownHosts, String alias, SshEndpoint endpoint) {
        this(List.of(identity), knownHosts, alias, endpoint);
    }

    /** @param identities the key files ssh offers, in this order */
    SystemSsh(List<Path> identities, Path knownHosts, String alias, SshEndpoint endpoint) {
        this.identities = List.copyOf(identities);
        this.knownHosts = knownHosts;
        this.alias = alias;
        this.endpoint = endpoint;
    }

    /** Prepares to reach a running box: makes sure its host key is pinned (verifying it through the cloud). */
    public static SystemSsh to(Session session, Machine machine) {
        if (machine.state() != MachineState.RUNNING) {
            CgrenderException notRunning = new CgrenderException("box " + machine.id() + " is "
                    + machine.state().label());
            throw machine.state() == MachineState.STOPPED ? notRunning.fix("cgrender start " + machine.id())
                    : notRunning;
        }
        if (!session.knownHosts().isPinned(machine.id())) {
            session.environment().connect(machine);
        }
        List<Path> identities = new ArrayList<>();
        session.environment().identity(machine).ifPresent(own -> identities.add(own.file()));
        identities.add(session.key().privateKeyFile());
        return new SystemSsh(identities, session.knownHosts().file(), machine.id(),
                session.cloud().accessFor(machine).endpoint());
    }

    /**
     * The options that make system ssh use the namespace key (after the user's own key for an adopted instance, if
     * one applies) and the pinned host key, and nothing else.
     */
    public List<String> options() {
        List<String> options = new ArrayList<>(List.of("-F", "none"));
        for (Path identity : identities) {
            options.addAll(List.of("-o", "IdentityFile=" + configPath(identity)));
        }
        options.addAll(List.of(
                "-o", "IdentitiesOnly=yes",
                "-o", "PasswordAuthentication=no",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + configPath(knownHosts),
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "HostKeyAlias=" + alias,
                "-o", "LogLevel=ERROR",
                "-p", Integer.toString(endpoint.port())));
        return options;
    }

    /**
     * {@code path} as ssh reads one path from an option's value: '%' doubled (ssh expands {@code %h} and the like in
     * paths), and in double quotes when it has anything but plainly safe characters (ssh splits a value at white
     * space and takes quotes and backslashes as syntax). ssh expands {@code ${NAME}} with no way to escape it, so
     * such a path is refused.
     */
    static String configPath(Path path) {
        String text = path.toString();
        if (text.contains("${")) {
            throw new CgrenderException("cannot hand " + path + " to the system ssh, which would read '${' in it as an"
                    + " environment variable; use a directory without '${' (XDG_CONFIG_HOME)");
        }
        String escaped = text.replace("%", "%%");
        if (escaped.matches("[A-Za-z0-9_./@:+,%=-]+")) {
            return escaped;
        }
        return "\"" + escaped.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** {@code user@host}, bracketing IPv6 literals for rsync. */
    public String destination() {
        String host = endpoint.host().contains(":") ? "[" + endpoint.host() + "]" : endpoint.host();
        return endpoint.user() + "@" + host;
    }

    /** The whole ssh command, as words. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add("ssh");
        cmd.addAll(options());
        cmd.add(endpoint.user() + "@" + endpoint.host());
        return cmd;
    }

    /** The ssh command as one shell command line, e.g. to show users how to connect by hand. */
    public String commandLine() {
        return Shell.join(command());
    }

    /**
     * The value for {@code rsync -e}: the ssh command with each word quoted for rsync's own splitting, which knows
     * single and double quotes but no backslash: inside single quotes, {@code ''} is one quote.
     */
    public String rsyncShell() {
        List<String> words = new ArrayList<>();
        words.add("ssh");
        words.addAll(options());
        return words.stream().map(w -> w.matches("[A-Za-z0-9_./@:+,%=-]+") ? w : "'" + w.replace("'", "''") + "'")
                .collect(Collectors.joining(" "));
    }

    /** Runs {@code command} with the terminal attached and returns its exit code. */
    public static int runAttached(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            return process.waitFor();
        } catch (IOException e) {
            throw new CgrenderException("cannot run " + command.get(0) + ": " + e.getMessage()
                    + "; install it", e).fix("sudo apt-get install openssh-client rsync");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while " + command.get(0) + " was running", e);
        }
    }
}
