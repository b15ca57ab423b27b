package io.cgrender.core.ssh;

import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Follows each session this connector opens: records into its {@link ConnectAttempt} when the key exchange finished
 * and what went wrong, and asks the server for a host key of the pinned type (as OpenSSH does), so that a server with
 * several host keys presents the one that can be checked.
 */
final class SessionTracker implements SessionListener {

    /** With nothing pinned yet, ed25519 keys are preferred; cloud-init reports fingerprints of every type. */
    private static final List<String> UNPINNED_PREFERENCE = List.of("ssh-ed25519");

    @Override
    public void sessionNegotiationOptionsCreated(Session session, Map<KexProposalOption, String> proposal) {
        ConnectAttempt attempt = ConnectAttempt.of(session);
        String offered = proposal.get(KexProposalOption.SERVERKEYS);
        if (attempt == null || offered == null || offered.isEmpty()) {
            return;
        }
        List<String> types = attempt.hostKeys().pinnedKeyTypes();
        List<String> preferred = new ArrayList<>();
        for (String type : types.isEmpty() ? UNPINNED_PREFERENCE : types) {
            preferred.addAll(signatureAlgorithms(type));
        }
        // The documented contract of this callback: the proposal may be modified before it is sent.
        proposal.put(KexProposalOption.SERVERKEYS, preferFirst(offered, preferred));
    }

    @Override
    public void sessionEvent(Session session, Event event) {
        ConnectAttempt attempt = ConnectAttempt.of(session);
        if (attempt != null && event == Event.KexCompleted) {
            attempt.keyExchangeCompleted();
        }
    }

    @Override
    public void sessionException(Session session, Throwable t) {
        ConnectAttempt attempt = ConnectAttempt.of(session);
        if (attempt != null) {
            attempt.problem(MinaSshConnector.describe(t));
        }
    }

    @Override
    public void sessionDisconnect(Session session, int reason, String msg, String language, boolean initiator) {
        ConnectAttempt attempt = ConnectAttempt.of(session);
        if (attempt != null && !initiator) {
            attempt.problem("the server disconnected" + (msg == null || msg.isBlank() ? "" : ": " + msg));
        }
    }

    /** The host key algorithms that prove possession of a key of {@code keyType}. */
    static List<String> signatureAlgorithms(String keyType) {
        if (keyType.equals("ssh-rsa")) {
            return List.of("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa");
        }
        return List.of(keyType);
    }

    /** {@code offered} (a comma-separated name list) with the names in {@code preferred} moved to the front. */
    static String preferFirst(String offered, List<String> preferred) {
        List<String> names = new ArrayList<>(Arrays.asList(offered.split(",")));
        List<String> result = new ArrayList<>();
        for (String name : preferred) {
            if (names.remove(name)) {
                result.add(name);
            }
        }
        result.addAll(names);
        return String.join(",", result);
    }
}
