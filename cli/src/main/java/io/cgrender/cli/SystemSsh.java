package io.cgrender.cli;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ssh.Shell;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The system OpenSSH client, for interactive sessions and rsync, held to the same strict policy as cgrender's own
 * client: the namespace key only, the pinned host key only ({@code StrictHostKeyChecking=yes} with the box id as
 * {@code HostKeyAlias} in cgrender's known_hosts), never prompting to add a key.
 */
public final class SystemSsh {

    private final Session session;
    private final Machine machine;
    private final SshEndpoint endpoint;

    private SystemSsh(Session session, Machine machine, SshEndpoint endpoint) {
        this.session = session;
        this.machine = machine;
        this.endpoint = endpoint;
    }

    /** Prepares to reach a running box: makes sure its host key is pinned (verifying it through the cloud). */
    public static SystemSsh to(Session session, Machine machine) {
        if (machine.state() != MachineState.RUNNING) {
            throw new CgrenderException("box " + machine.id() + " is " + machine.state().label()
                    + (machine.state() == MachineState.STOPPED ? "; start it with: cgrender start " + machine.id()
                    : ""));
        }
        if (!session.knownHosts().isPinned(machine.id())) {
            session.environment().connect(machine);
        }
        return new SystemSsh(session, machine, session.cloud().accessFor(machine).endpoint());
    }

    /** The options that make system ssh use the namespace key and the pinned host key. */
    public List<String> options() {
        return List.of(
                "-i", session.key().privateKeyFile().toString(),
                "-o", "IdentitiesOnly=yes",
                "-o", "PasswordAuthentication=no",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + session.knownHosts().file(),
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "HostKeyAlias=" + machine.id(),
                "-o", "LogLevel=ERROR",
                "-p", Integer.toString(endpoint.port()));
    }

    /** {@code user@host}, bracketing IPv6 literals for rsync. */
    public String destination() {
        String host = endpoint.host().contains(":") ? "[" + endpoint.host() + "]" : endpoint.host();
        return endpoint.user() + "@" + host;
    }

    /** The whole ssh command line, e.g. to show users how to connect by hand. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add("ssh");
        cmd.addAll(options());
        cmd.add(endpoint.user() + "@" + endpoint.host());
        return cmd;
    }

    /** The value for {@code rsync -e}: the ssh command with each word quoted for rsync's own splitting. */
    public String rsyncShell() {
        List<String> words = new ArrayList<>();
        words.add("ssh");
        words.addAll(options());
        return Shell.join(words);
    }

    /** Runs {@code command} with the terminal attached and returns its exit code. */
    public static int runAttached(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            return process.waitFor();
        } catch (IOException e) {
            throw new CgrenderException("cannot run " + command.get(0) + ": " + e.getMessage()
                    + "; install it (e.g. apt-get install openssh-client rsync)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while " + command.get(0) + " was running", e);
        }
    }
}
