package io.cgrender.core.ssh;

import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;

import java.net.SocketAddress;
import java.security.PublicKey;

/**
 * MINA's view of {@link HostKeyCheck}: accepts a server key only if the policy of the connection's own attempt does.
 * A session without an attempt (not opened by {@link MinaSshConnector}) is refused. Runs during the key exchange, so a
 * refused key ends the connection before authentication.
 */
final class PinnedHostKeyVerifier implements ServerKeyVerifier {

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remoteAddress, PublicKey serverKey) {
        ConnectAttempt attempt = ConnectAttempt.of(session);
        if (attempt == null) {
            return false;
        }
        try {
            HostKeyRejectedException rejection = attempt.hostKeys().check(serverKey);
            if (rejection != null) {
                attempt.hostKeyRefused(rejection);
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            // e.g. the cloud could not say which keys it vouches for, or known_hosts could not be written
            attempt.hostKeyRefused(e);
            return false;
        }
    }
}
