package io.cgrender.core.price;

import java.time.Duration;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Optional;

/**
 * What an hour of a machine costs, in USD, and where that figure comes from.
 *
 * @param instanceType the machine's size as its cloud names it (e.g. {@code t3.large}), or the cloud's name
 * @param region       where it runs (e.g. {@code us-east-1}); empty for a cloud without regions
 * @param usdPerHour   the hourly price; empty when it is not known
 * @param taken        the day the price was taken, where known
 * @param source       where the price comes from (e.g. {@code bundled catalog}, {@code cgrender.ec2.hourly-prices},
 *                     {@code spot price history}); for an unknown price, what sets one
 */
public record Price(String instanceType, String region, Optional<Double> usdPerHour, Optional<LocalDate> taken,
                    String source) {

    public Price {
        if (usdPerHour.isPresent() && (usdPerHour.get() < 0 || !Double.isFinite(usdPerHour.get()))) {
            throw new IllegalArgumentException("a price is a finite amount of at least 0, not " + usdPerHour.get());
        }
    }

    /** A machine that costs nothing (the local cloud). */
    public static Price free(String what, String source) {
        return new Price(what, "", Optional.of(0.0), Optional.empty(), source);
    }

    /** A price nobody knows; {@code fix} says how to set one. */
    public static Price unknown(String instanceType, String region, String fix) {
        return new Price(instanceType, region, Optional.empty(), Optional.empty(), fix);
    }

    public boolean known() {
        return usdPerHour.isPresent();
    }

    /** What {@code duration} of the machine costs, if its price is known. */
    public Optional<Double> costOf(Duration duration) {
        return usdPerHour.map(p -> p * Math.max(0, duration.toMillis()) / 3_600_000.0);
    }

    /** {@code $0.0832/h}, {@code $0/h}, or {@code ?} when unknown. */
    public String perHour() {
        return usdPerHour.map(p -> usd(p) + "/h").orElse("?");
    }

    /** {@code price unknown for TYPE in REGION; set …}: why no price is shown and what sets one. */
    public String unknownReason() {
        return "price unknown for " + instanceType + (region.isEmpty() ? "" : " in " + region) + "; " + source;
    }

    /**
     * An amount in USD as users read it: {@code $0}, {@code $0.0832}, {@code $0.00001}, {@code $12.34} (cents from a
     * dollar up, six decimals at most below).
     */
    public static String usd(double amount) {
        if (amount == 0) {
            return "$0";
        }
        String digits = String.format(Locale.ROOT, amount >= 1 ? "%.2f" : "%.6f", amount)
                .replaceAll("0+$", "").replaceAll("\\.$", "");
        return digits.equals("0") ? "<$0.000001" : "$" + digits;
    }
}
