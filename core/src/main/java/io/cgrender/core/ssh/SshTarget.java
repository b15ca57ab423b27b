package io.cgrender.core.ssh;

import io.cgrender.core.cloud.SshEndpoint;

import java.security.KeyPair;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One machine to open SSH to.
 *
 * @param alias               the machine id; host keys are pinned under it
 * @param endpoint            where to connect, and as whom
 * @param identity            the key to log in with
 * @param trustedFingerprints asked only when no key is pinned for {@code alias} yet: the fingerprints the cloud
 *                            vouches for (see {@link io.cgrender.core.cloud.HostKeySource}); the presented key must
 *                            match one of them and is then pinned
 */
public record SshTarget(String alias, SshEndpoint endpoint, KeyPair identity,
                        Supplier<Set<HostKeyFingerprint>> trustedFingerprints) {
}
