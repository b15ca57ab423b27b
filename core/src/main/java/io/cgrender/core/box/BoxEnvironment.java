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
import io.cgrender.core.ssh.UserIdentity;
import io.cgrender.core.ui.Console;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
     * An adopted instance is also offered the user's own key, before the namespace's ({@link BoxIdentities}).
     */
    public RemoteHost connect(Machine machine) {
        MachineAccess access = cloud.accessFor(machine);
        Duration timeout = settings.timeout("ssh");
        List<KeyPair> identities = new ArrayList<>();
        identity(machine).ifPresent(own -> identities.add(own.keyPair()));
        identities.add(key.keyPair());
        SshTarget target = new SshTarget(machine.id(), access.endpoint(), identities,
                () -> access.hostKeys().trustedFingerprints(machine, timeout, console.progress()),
                access.hostKeys().witness(machine));
        return ssh.connect(target, timeout, console.progress());
    }

    /** The user's own key offered to {@code machine} besides the namespace's, if any ({@link BoxIdentities}). */
    public Optional<UserIdentity> identity(Machine machine) {
        return BoxIdentities.forMachine(settings, machine, console);
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
