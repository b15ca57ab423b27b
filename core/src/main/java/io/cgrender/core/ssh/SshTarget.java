package io.cgrender.core.ssh;

import io.cgrender.core.cloud.SshEndpoint;

import java.security.KeyPair;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One machine to open SSH to.
 *
 * @param alias               the machine id; host keys are pinned under it
 * @param endpoint            where to connect, and as whom
 * @param identities          the keys to log in with, offered in this order (at least one)
 * @param trustedFingerprints asked only when no key is pinned for {@code alias} yet: the fingerprints the cloud
 *                            vouches for (see {@link io.cgrender.core.cloud.HostKeySource}); the presented key must
 *                            match one of them and is then pinned
 * @param witness             who vouches for those fingerprints, for messages ("the cloud", "~/.ssh/known_hosts")
 */
public record SshTarget(String alias, SshEndpoint endpoint, List<KeyPair> identities,
                        Supplier<Set<HostKeyFingerprint>> trustedFingerprints, String witness) {

    public SshTarget {
        identities = List.copyOf(identities);
        if (identities.isEmpty()) {
            throw new IllegalArgumentException("no key to log in to " + alias + " with");
        }
    }

    /** One key to log in with, fingerprints vouched for by the cloud. */
    public SshTarget(String alias, SshEndpoint endpoint, KeyPair identity,
                     Supplier<Set<HostKeyFingerprint>> trustedFingerprints) {
        this(alias, endpoint, List.of(identity), trustedFingerprints, "the cloud");
    }

    /** For messages: "the key SHA256:…", or "any of the keys SHA256:…, SHA256:…". */
    public String keysOffered() {
        return (identities.size() == 1 ? "the key " : "any of the keys ") + identities.stream()
                .map(k -> KeyFiles.fingerprint(k.getPublic()).toString()).collect(Collectors.joining(", "));
    }

    /** The first key offered. */
    public KeyPair identity() {
        return identities.get(0);
    }
}
