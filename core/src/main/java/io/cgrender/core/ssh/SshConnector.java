package io.cgrender.core.ssh;

import io.cgrender.core.ui.Progress;

import java.time.Duration;

/**
 * Opens verified SSH sessions. One started SSH client per process, one session per machine, reused by every
 * caller until closed.
 * <p>
 * Host keys: a pinned key for {@link SshTarget#alias()} must match exactly; with no pin, the presented key must
 * match one of {@link SshTarget#trustedFingerprints()} and is then pinned. Anything else is refused with
 * {@link HostKeyRejectedException} before authentication. There is no accept-any and no trust-on-first-use.
 */
public interface SshConnector extends AutoCloseable {

    /**
     * Returns the open session to {@code target}, or opens one: retries refused or reset connections (sshd
     * restarting on a fresh machine) until {@code timeout}, reporting progress; never retries a host key rejection
     * or an authentication failure.
     */
    RemoteHost connect(SshTarget target, Duration timeout, Progress progress);

    /** Closes the session to {@code alias}, if one is open. */
    void disconnect(String alias);

    /** Closes every session and the client. */
    @Override
    void close();
}
