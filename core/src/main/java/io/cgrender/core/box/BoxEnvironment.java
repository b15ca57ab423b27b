package io.cgrender.core.box;

import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAccess;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.SshConnector;
import io.cgrender.core.ssh.SshTarget;
import io.cgrender.core.ui.Console;

import java.time.Duration;

/**
 * Everything a box's lifecycle works with: the cloud, the namespace and its key, pinned host keys, the SSH
 * connector, settings and the console. One per command invocation.
 */
public record BoxEnvironment(Cloud cloud, Namespace namespace, NamespaceKey key, KnownHosts knownHosts,
                             SshConnector ssh, Settings settings, Console console) {

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
