package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ui.Progress;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.PasswordIdentityProvider;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.future.CancelOption;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.session.helpers.MissingAttachedSessionException;
import org.apache.sshd.core.CoreModuleProperties;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link SshConnector} on Apache MINA SSHD. One SSH client, started on first use; one session per machine alias,
 * reused while it is open. Authentication is by public key only ({@link SshTarget#identities()}); nothing is read from
 * {@code ~/.ssh} (no config file, no default keys, no agent). Host keys are checked by {@link HostKeyCheck} during the
 * key exchange, before authentication.
 */
public final class MinaSshConnector implements SshConnector {

    /** Pause between attempts while a machine's sshd is not answering yet. */
    private static final Duration RETRY_INTERVAL = Duration.ofMillis(500);
    /** A TCP connect that gets no answer (packets dropped by a firewall not yet open) is retried after this. */
    private static final Duration TCP_CONNECT_LIMIT = Duration.ofSeconds(15);
    /** Keepalives keep NAT entries alive and detect a machine that vanished during a long, silent command. */
    private static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(15);
    private static final int HEARTBEATS_WITHOUT_REPLY = 4;

    private final KnownHosts knownHosts;
    private final Map<String, MinaRemoteHost> sessions = new ConcurrentHashMap<>();
    private final Map<String, Object> aliasLocks = new ConcurrentHashMap<>();
    private SshClient client;
    private boolean closed;

    public MinaSshConnector(KnownHosts knownHosts) {
        this.knownHosts = knownHosts;
    }

    @Override
    public RemoteHost connect(SshTarget target, Duration timeout, Progress progress) {
        String alias = target.alias();
        synchronized (aliasLocks.computeIfAbsent(alias, a -> new Object())) {
            MinaRemoteHost existing = sessions.get(alias);
            if (existing != null && existing.isOpen() && existing.endpoint().equals(target.endpoint())) {
                return existing;
            }
            if (existing != null) {
                existing.close();
            }
            MinaRemoteHost host = new MinaRemoteHost(this, alias, target.endpoint(), open(target, timeout, progress));
            sessions.put(alias, host);
            synchronized (this) {
                if (closed) {
                    host.close();
                    throw new IllegalStateException("the SSH connector was closed while connecting to " + alias);
                }
            }
            return host;
        }
    }

    @Override
    public void disconnect(String alias) {
        MinaRemoteHost host = sessions.remove(alias);
        if (host != null) {
            host.close();
        }
    }

    @Override
    public void close() {
        SshClient toStop;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toStop = client;
            client = null;
        }
        for (String alias : new ArrayList<>(sessions.keySet())) {
            disconnect(alias);
        }
        if (toStop != null) {
            toStop.stop();
        }
    }

    /** Called by a host that was closed directly, so the next {@link #connect} opens a new session. */
    void forget(String alias, MinaRemoteHost host) {
        sessions.remove(alias, host);
    }

    // ---------------------------------------------------------------- connecting

    /** Opens an authenticated session, retrying while the machine does not answer yet, within {@code timeout}. */
    private ClientSession open(SshTarget target, Duration timeout, Progress progress) {
        Deadline deadline = Deadline.after(timeout);
        SshEndpoint endpoint = target.endpoint();
        String where = endpoint.user() + "@" + endpoint.address();
        HostKeyCheck hostKeys = new HostKeyCheck(target.alias(), endpoint.address(), knownHosts,
                target.trustedFingerprints(), target.witness());
        hostKeys.prepare();
        SshClient sshClient = client();
        String stage = "waiting for SSH on " + target.alias() + " (" + where + ")";
        String lastSeen = "no answer";
        while (true) {
            try {
                return openOnce(sshClient, target, hostKeys, deadline);
            } catch (NotYet notYet) {
                if (notYet.getMessage() != null) {
                    lastSeen = notYet.getMessage();
                }
                if (deadline.isPast()) {
                    throw new CgrenderException("cannot reach " + target.alias() + " over SSH at " + where
                            + " within " + timeout.toSeconds() + "s (last seen: " + lastSeen + ")");
                }
                progress.waiting(stage, deadline.elapsed(), timeout, lastSeen);
                pause(deadline.cap(RETRY_INTERVAL), stage);
            }
        }
    }

    /**
     * One connection attempt. Throws {@link NotYet} for what a booting machine does (refused, reset, closed before
     * the key exchange), {@link HostKeyRejectedException} for a refused key, {@link CgrenderException} for the rest.
     * A session that fails after it was opened is closed.
     */
    private ClientSession openOnce(SshClient sshClient, SshTarget target, HostKeyCheck hostKeys, Deadline deadline) {
        SshEndpoint endpoint = target.endpoint();
        String where = endpoint.user() + "@" + endpoint.address();
        ConnectAttempt attempt = new ConnectAttempt(hostKeys);
        ClientSession session = null;
        try {
            ConnectFuture connecting = sshClient.connect(endpoint.user(), endpoint.host(), endpoint.port(),
                    attempt.asContext(), null);
            if (!connecting.await(deadline.cap(TCP_CONNECT_LIMIT), CancelOption.CANCEL_ON_TIMEOUT,
                    CancelOption.CANCEL_ON_INTERRUPT)) {
                // cut short by the overall deadline, this attempt saw nothing worth reporting
                throw new NotYet(deadline.isPast() ? null : "no answer from " + endpoint.address());
            }
            if (connecting.getException() != null) {
                throw connectFailure(connecting.getException(), target);
            }
            session = connecting.getSession();
            target.identities().forEach(session::addPublicKeyIdentity);
            AuthFuture auth = session.auth();
            if (!auth.await(deadline.remaining(), CancelOption.CANCEL_ON_TIMEOUT, CancelOption.CANCEL_ON_INTERRUPT)) {
                throwIfRefused(attempt);
                throw new NotYet(attempt.isKeyExchanged() ? "no answer to authentication"
                        : "no key exchange with " + endpoint.address());
            }
            if (auth.isSuccess()) {
                return session;
            }
            throwIfRefused(attempt);
            if (!attempt.isKeyExchanged()) {
                throw new NotYet(firstNonEmpty(attempt.lastProblem(), describe(auth.getException()),
                        "connection closed before the key exchange"));
            }
            if (!session.isOpen()) {
                // not a refusal (that leaves the session open): the connection went away, e.g. sshd restarting
                throw new NotYet(firstNonEmpty(attempt.lastProblem(), describe(auth.getException()),
                        "connection closed during authentication"));
            }
            throw new CgrenderException("cannot log in to " + target.alias() + " as " + where + ": the server did not"
                    + " accept " + target.keysOffered() + " ("
                    + firstNonEmpty(describe(auth.getException()), attempt.lastProblem(), "authentication failed")
                    + "); check the user name and that the machine has the key's public half in its"
                    + " ~/.ssh/authorized_keys");
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw closeAfter(session, new CgrenderException("interrupted while connecting to " + target.alias(), e));
        } catch (IOException e) {
            RuntimeException refusal = attempt.hostKeyRefusal();
            throw closeAfter(session, refusal != null ? refusal : attempt.isKeyExchanged()
                    ? new CgrenderException("SSH to " + target.alias() + " at " + where + " failed: " + describe(e), e)
                    : new NotYet(describe(e)));
        } catch (RuntimeException e) {
            throw closeAfter(session, e);
        }
    }

    private static void throwIfRefused(ConnectAttempt attempt) {
        RuntimeException refusal = attempt.hostKeyRefusal();
        if (refusal != null) {
            throw refusal;
        }
    }

    private static RuntimeException connectFailure(Throwable failure, SshTarget target) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                return new CgrenderException("cannot resolve " + target.endpoint().host() + ", the address of "
                        + target.alias(), failure);
            }
        }
        return new NotYet(describe(failure));
    }

    private static RuntimeException closeAfter(ClientSession session, RuntimeException failure) {
        if (session != null) {
            try {
                session.close();
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        return failure;
    }

    private synchronized SshClient client() {
        if (closed) {
            throw new IllegalStateException("the SSH connector is closed");
        }
        if (client == null) {
            SshClient c = ClientBuilder.builder()
                    .serverKeyVerifier(new PinnedHostKeyVerifier())
                    .hostConfigEntryResolver(HostConfigEntryResolver.EMPTY)
                    .build();
            c.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
            c.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
            c.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
            c.addSessionListener(new SessionTracker());
            // A render may print nothing for an hour: only a dead connection (no keepalive replies) ends a session.
            CoreModuleProperties.IDLE_TIMEOUT.set(c, Duration.ZERO);
            CoreModuleProperties.HEARTBEAT_INTERVAL.set(c, HEARTBEAT_INTERVAL);
            CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(c, HEARTBEATS_WITHOUT_REPLY);
            // Every command, channel close and SFTP request is a small packet that waits for the previous one's
            // answer: with Nagle's algorithm each such exchange stalls on the peer's delayed ACK (40 ms on Linux).
            CoreModuleProperties.TCP_NODELAY.set(c, true);
            c.start();
            client = c;
        }
        return client;
    }

    private static void pause(Duration duration, String stage) {
        try {
            Thread.sleep(Math.max(1, duration.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while " + stage, e);
        }
    }

    /** The most telling message in a failure's cause chain, e.g. "connection refused". */
    static String describe(Throwable failure) {
        if (failure == null) {
            return "";
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            if (root instanceof MissingAttachedSessionException) {
                break;
            }
            root = root.getCause();
        }
        if (root instanceof MissingAttachedSessionException) {
            return "the connection closed before the SSH handshake";
        }
        if (root instanceof java.nio.file.NoSuchFileException missing) {
            return "no such file: " + missing.getFile();
        }
        if (root instanceof java.nio.file.AccessDeniedException denied) {
            return "permission denied: " + denied.getFile();
        }
        String message = root.getMessage();
        if (message == null || message.isBlank()) {
            message = failure.getMessage();
        }
        if (root instanceof java.io.EOFException || message == null || message.isBlank()) {
            return root instanceof java.io.EOFException ? "connection closed" : root.getClass().getSimpleName();
        }
        if (message.equalsIgnoreCase("broken pipe")) {
            return "the server closed the connection (broken pipe)";
        }
        return message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
    }

    private static String firstNonEmpty(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return c;
            }
        }
        return "";
    }

    /** The machine is not answering SSH yet; worth another attempt while time is left. */
    private static final class NotYet extends RuntimeException {
        /** @param message what was seen, or {@code null} if nothing worth reporting */
        NotYet(String message) {
            super(message, null, false, false);
        }
    }
}
