package io.cgrender.ec2;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import io.cgrender.core.UsageException;
import io.cgrender.core.config.Settings;
import io.cgrender.core.delivery.EmailAddress;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How the EC2 cloud delivers results ({@code cgrender.results.*}, {@code cgrender.notify.from} and
 * {@code cgrender.ec2.results.*}, {@code cgrender.ec2.hourly-price(s)}), read and checked when the cloud opens.
 *
 * @param location     the configured results location, if any ({@code s3://bucket/prefix})
 * @param linkExpiry   how long mailed download links stay valid, at most 7 days
 * @param sender       the configured sender of mails, if any
 * @param boxAccess    how boxes get to store results
 * @param hourlyPrice  the configured price of an hour of any box, if any
 * @param hourlyPrices prices by instance type
 */
record ResultSettings(Optional<String> location, Duration linkExpiry, Optional<EmailAddress> sender,
                      BoxAccess boxAccess, Optional<Double> hourlyPrice, Map<String, Double> hourlyPrices) {

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
        Optional<Double> price = nonBlank(c.getString("cgrender.ec2.hourly-price")).map(ResultSettings::price);
        Map<String, Double> prices = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : c.getObject("cgrender.ec2.hourly-prices").entrySet()) {
            if (e.getValue().unwrapped() instanceof Number n && n.doubleValue() >= 0) {
                prices.put(e.getKey(), n.doubleValue());
            } else {
                throw new UsageException("bad configuration: cgrender.ec2.hourly-prices.\"" + e.getKey() + "\" must be"
                        + " a price in USD per hour, e.g. 0.085 (" + e.getValue().origin().description() + ")");
            }
        }
        return new ResultSettings(nonBlank(c.getString("cgrender.results.location")), expiry, sender,
                BoxAccess.parse(c.getString("cgrender.ec2.results.box-access")), price, Map.copyOf(prices));
    }

    /** The hourly price of {@code instanceType} and where it comes from, for the manifest. */
    Price price(String instanceType, String region) {
        if (hourlyPrice.isPresent()) {
            return new Price(hourlyPrice, "cgrender.ec2.hourly-price: " + hourlyPrice.get() + " USD per hour; instance"
                    + " time of the job only");
        }
        Double listed = hourlyPrices.get(instanceType);
        if (listed == null) {
            return new Price(Optional.empty(), "no price known for " + instanceType + "; set cgrender.ec2.hourly-price"
                    + " or cgrender.ec2.hourly-prices.\"" + instanceType + "\"");
        }
        return new Price(Optional.of(listed), "approximate on-demand list price of " + instanceType + " in us-east-1"
                + " (cgrender.ec2.hourly-prices) × the job's duration" + (region.equals("us-east-1") ? ""
                : "; " + region + " may differ") + "; instance time of the job only");
    }

    /** An hourly price, if one is known, and how it was found. */
    record Price(Optional<Double> perHour, String basis) {
    }

    private static double price(String text) {
        try {
            double p = Double.parseDouble(text.strip());
            if (p < 0 || Double.isNaN(p) || Double.isInfinite(p)) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new UsageException("bad configuration: cgrender.ec2.hourly-price must be a price in USD per hour,"
                    + " e.g. 0.085, not '" + text + "'");
        }
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }
}
