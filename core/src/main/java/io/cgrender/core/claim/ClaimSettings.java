package io.cgrender.core.claim;

import io.cgrender.core.UsageException;
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
            throw new IllegalArgumentException("renewEvery " + renewEvery + " is not shorter than lease " + lease);
        }
    }

    /** The settings, with the cloud's own settle time. */
    public static ClaimSettings from(Settings settings, Duration cloudSettle) {
        Duration lease = settings.duration(LEASE);
        Duration renewEvery = settings.duration(RENEW_EVERY);
        if (renewEvery.compareTo(lease) >= 0) {
            throw new UsageException("bad configuration: " + RENEW_EVERY + " (" + written(settings, RENEW_EVERY)
                    + ") must be shorter than " + LEASE + " (" + written(settings, LEASE) + "), or a creator's lease"
                    + " lapses before it is renewed (" + settings.config().getValue(RENEW_EVERY).origin()
                    .description() + ")");
        }
        return new ClaimSettings(lease, renewEvery, settings.timeout("ready"), cloudSettle);
    }

    private static final String LEASE = "cgrender.claims.lease";
    private static final String RENEW_EVERY = "cgrender.claims.renew-every";

    private static String written(Settings settings, String path) {
        return String.valueOf(settings.config().getValue(path).unwrapped());
    }
}
