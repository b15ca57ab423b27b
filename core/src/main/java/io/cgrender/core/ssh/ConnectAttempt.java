package io.cgrender.core.ssh;

import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.session.Session;

/**
 * What one TCP connection attempt learned while MINA drove it on its own threads: the host-key verdict (MINA reports
 * a refused key only as a generic "Server key did not validate"), whether the key exchange finished, and the last
 * problem the session saw. Travels as the connection context, so it is there before the key exchange starts.
 */
final class ConnectAttempt {

    static final AttributeKey<ConnectAttempt> KEY = new AttributeKey<>();

    private final HostKeyCheck hostKeys;
    private volatile RuntimeException hostKeyFailure;
    private volatile boolean keyExchanged;
    private volatile String lastProblem = "";

    ConnectAttempt(HostKeyCheck hostKeys) {
        this.hostKeys = hostKeys;
    }

    /** The attempt a session belongs to, or {@code null} for a session this connector did not open. */
    static ConnectAttempt of(Session session) {
        if (session instanceof org.apache.sshd.client.session.ClientSession client) {
            AttributeRepository context = client.getConnectionContext();
            return context == null ? null : context.getAttribute(KEY);
        }
        return null;
    }

    AttributeRepository asContext() {
        return AttributeRepository.ofKeyValuePair(KEY, this);
    }

    HostKeyCheck hostKeys() {
        return hostKeys;
    }

    /** Records why the host key was refused: a {@link HostKeyRejectedException}, or the cloud's failure to answer. */
    void hostKeyRefused(RuntimeException reason) {
        hostKeyFailure = reason;
    }

    void keyExchangeCompleted() {
        keyExchanged = true;
    }

    boolean isKeyExchanged() {
        return keyExchanged;
    }

    void problem(String description) {
        if (description != null && !description.isBlank()) {
            lastProblem = description;
        }
    }

    String lastProblem() {
        return lastProblem;
    }

    /**
     * Why the host key was refused, as an exception to throw on the caller's thread, or {@code null} if it was not
     * refused (accepted, or the connection ended before a key was presented).
     */
    RuntimeException hostKeyRefusal() {
        RuntimeException failure = hostKeyFailure;
        if (failure instanceof HostKeyRejectedException rejected) {
            return new HostKeyRejectedException(rejected.getMessage());
        }
        return failure;
    }
}
