package io.cgrender.core.claim;

import io.cgrender.core.config.Settings;

import java.time.Duration;

/**
 * The claim protocol's timing, from {@code cgrender.claims} and {@code cgrender.timeouts.ready}.
 *
 * @param lease        how long a creator's lease is valid after each renewal
 * @param renewEvery   how often a creator renews it (well below {@code lease})
 * @param readyTimeout how long a caller waits for a box another cgrender is creating
 * @param settle       how long after launching a box its creator waits before its last check for older claims: the
 *                     time within which every other caller's launch becomes visible to it (the cloud's consistency
 *                     window plus clock skew between callers)
 */
public record ClaimSettings(Duration lease, Duration renewEvery, Duration readyTimeout, Duration settle) {

    public ClaimSettings {
        if (renewEvery.compareTo(lease) >= 0) {
            throw new io.cgrender.core.UsageException("bad configuration: cgrender.claims.renew-every (" + renewEvery
                    + ") must be shorter than"
                    + " cgrender.claims.lease (" + lease + ")");
        }
    }

    /** The settings, with the cloud's own settle time. */
    public static ClaimSettings from(Settings settings, Duration cloudSettle) {
        return new ClaimSettings(settings.duration("cgrender.claims.lease"),
                settings.duration("cgrender.claims.renew-every"), settings.timeout("ready"), cloudSettle);
    }
}
