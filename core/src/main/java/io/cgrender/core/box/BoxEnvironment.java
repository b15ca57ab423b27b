package io.cgrender.core.box;

import io.cgrender.core.claim.ClaimSettings;
import io.cgrender.core.claim.Claims;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAccess;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.SshConnector;
import io.cgrender.core.ssh.SshTarget;
import io.cgrender.core.ui.Console;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a box's lifecycle works with: the cloud, the namespace and its key, pinned host keys, the SSH
 * connector, settings, the console, and where this client keeps its claim locks. One per command invocation.
 *
 * @param claimLocks the directory of the locks this machine's creators take turns at ({@link Claims}), e.g.
 *                   {@code $XDG_STATE_HOME/cgrender/claims}
 */
public record BoxEnvironment(Cloud cloud, Namespace namespace, NamespaceKey key, KnownHosts knownHosts,
                             SshConnector ssh, Settings settings, Console console, Path claimLocks) {

    /** With the claim locks of the user's state directory ({@code $XDG_STATE_HOME/cgrender/claims}). */
    public BoxEnvironment(Cloud cloud, Namespace namespace, NamespaceKey key, KnownHosts knownHosts,
                          SshConnector ssh, Settings settings, Console console) {
        this(cloud, namespace, key, knownHosts, ssh, settings, console,
                Dirs.fromEnvironment().state().resolve("claims"));
    }

    /** The claim protocol for the boxes of {@code role} in this namespace. */
    public Claims claims(String role) {
        Path lock = claimLocks.resolve(cloud.name()).resolve(namespace.encoded()).resolve(role + ".lock");
        return new Claims(cloud, namespace, role, ClaimSettings.from(settings, cloud.consistencyWindow()), lock,
                console);
    }

    /**
     * Opens (or reuses) the SSH session to a running machine. The host key must match the pinned one; with no pin
     * yet, it must match what the cloud vouches for ({@link io.cgrender.core.cloud.HostKeySource}), and is pinned.
     */
    public RemoteHost connect(Machine machine) {
        MachineAccess access = cloud.accessFor(machine);
        Duration timeout = settings.timeout("ssh");
        SshTarget target = new SshTarget(machine.id(), access.endpoint(), key.keyPair(),
                () -> access.hostKeys().trustedFingerprints(machine, timeout, console.progress()));
        return ssh.connect(target, timeout, console.progress());
    }

    /**
     * Terminates a machine of any role (also one whose box class is not on the class path any more), closes its
     * session and forgets its host key. Idempotent.
     */
    public void terminate(Machine machine) {
        ssh.disconnect(machine.id());
        cloud.terminate(machine.id(), settings.timeout("state-change"), console.progress());
        knownHosts.remove(machine.id());
    }
}
