package io.cgrender.core.cloud;

import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ui.Progress;

import java.time.Duration;
import java.util.Set;

/**
 * Where the first host key of a machine comes from: something the cloud vouches for over a channel other than
 * the SSH connection itself (the local cloud generated the key; EC2 prints it to the console; an SSH host's
 * key is pinned in config). Never "whatever the server presents".
 */
@FunctionalInterface
public interface HostKeySource {

    /**
     * The fingerprints of the host keys {@code machine} is known to have.
     *
     * @throws io.cgrender.core.CgrenderException if none are available within {@code timeout}; the message says
     *                                            why and how the user can pin a key instead
     */
    Set<HostKeyFingerprint> trustedFingerprints(Machine machine, Duration timeout, Progress progress);

    /**
     * Who vouches for the keys of {@code machine}, as messages name it ("the cloud", "~/.ssh/known_hosts under
     * HostKeyAlias=i-…"); a source that asks several witnesses in turn names the one that answers. Reads nothing
     * remote.
     */
    default String witness(Machine machine) {
        return "the cloud";
    }
}
