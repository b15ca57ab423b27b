package io.cgrender.ec2;

import com.typesafe.config.Config;
import io.cgrender.core.UsageException;
import io.cgrender.core.config.Settings;
import io.cgrender.core.delivery.EmailAddress;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * How the EC2 cloud delivers results ({@code cgrender.results.*}, {@code cgrender.notify.from} and
 * {@code cgrender.ec2.results.*}), read and checked when the cloud opens.
 *
 * @param location     the configured results location, if any ({@code s3://bucket/prefix})
 * @param linkExpiry   how long mailed download links stay valid, at most 7 days
 * @param sender       the configured sender of mails, if any
 * @param boxAccess    how boxes get to store results
 */
record ResultSettings(Optional<String> location, Duration linkExpiry, Optional<EmailAddress> sender,
                      BoxAccess boxAccess) {

    /** S3's limit for presigned URLs. */
    static final Duration MAX_LINK_EXPIRY = Duration.ofDays(7);

    /** {@code cgrender.ec2.results.box-access}. */
    enum BoxAccess {
        AUTO, INSTANCE_PROFILE, PRESIGNED;

        static BoxAccess parse(String text) {
            for (BoxAccess a : values()) {
                if (a.word().equals(text.strip())) {
                    return a;
                }
            }
            throw new UsageException("bad configuration: cgrender.ec2.results.box-access must be auto,"
                    + " instance-profile or presigned, not '" + text + "'");
        }

        String word() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    static ResultSettings from(Settings settings) {
        Config c = settings.config();
        Duration expiry = c.getDuration("cgrender.results.link-expiry");
        if (expiry.isNegative() || expiry.isZero() || expiry.compareTo(MAX_LINK_EXPIRY) > 0) {
            throw new UsageException("bad configuration: cgrender.results.link-expiry must be more than 0 and at most"
                    + " 7d (S3's limit for presigned links), not " + c.getString("cgrender.results.link-expiry"));
        }
        Optional<EmailAddress> sender = nonBlank(c.getString("cgrender.notify.from"))
                .map(a -> EmailAddress.parse(a, "cgrender.notify.from"));
        return new ResultSettings(nonBlank(c.getString("cgrender.results.location")), expiry, sender,
                BoxAccess.parse(c.getString("cgrender.ec2.results.box-access")));
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }
}
