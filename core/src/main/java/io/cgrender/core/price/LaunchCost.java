package io.cgrender.core.price;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ui.Durations;

import java.time.Duration;
import java.util.Optional;

/**
 * What a launch will cost, said before anything is made: the price of an hour of each new box and the most it can
 * cost under its own limits (idle timeout, max lifetime), checked against {@code cgrender.budget.max-hourly}.
 *
 * @param price       the hourly price of one new box
 * @param count       how many boxes the launch makes
 * @param spot        spot capacity (its price changes while the box runs)
 * @param idleTimeout each box ends itself after this long without sessions or jobs
 * @param maxLifetime each box ends itself this long after its launch; empty: it has no max lifetime
 */
public record LaunchCost(Price price, int count, boolean spot, Duration idleTimeout, Optional<Duration> maxLifetime) {

    /** The setting that caps the hourly price of a new box. */
    public static final String BUDGET = "cgrender.budget.max-hourly";

    /** What launching boxes of {@code role} with {@code options} costs, where the cloud knows prices. */
    public static Optional<LaunchCost> of(Cloud cloud, Settings settings, String role, MachineSpec machine,
                                          CreateOptions options) {
        boolean spot = options.spot().orElseGet(() -> settings.roleDefault(role, "spot").map(Boolean::parseBoolean)
                .orElse(false));
        return cloud.pricing().map(p -> new LaunchCost(p.forLaunch(role, machine, options.instanceType(), spot),
                options.count(), spot, settings.idleTimeout(), options.noExpiry() ? Optional.empty()
                : Optional.of(options.maxLifetime().orElseGet(settings::maxLifetime))));
    }

    /** Refuses the launch (a usage error) when its price is above the budget, or unknown while a budget is set. */
    public void checkBudget(Settings settings) {
        String text = settings.config().getString(BUDGET).strip();
        if (text.isEmpty()) {
            return;
        }
        double budget;
        try {
            budget = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new UsageException("bad configuration: " + BUDGET + " must be a price in USD per hour, e.g. 0.5,"
                    + " not '" + text + "'");
        }
        if (price.usdPerHour().isEmpty()) {
            throw new UsageException(price.unknownReason() + "; " + BUDGET + " (" + Price.usd(budget)
                    + "/h) refuses a launch at an unknown price").fix("set a price for " + price.instanceType()
                    + " in cgrender.ec2.hourly-prices, or unset " + BUDGET);
        }
        if (price.usdPerHour().get() > budget) {
            throw new UsageException(what() + " costs " + price.perHour() + ", above " + BUDGET + " ("
                    + Price.usd(budget) + "/h); nothing was launched").fix("choose a cheaper --instance-type, or raise "
                    + BUDGET);
        }
    }

    /** Whether the boxes cost nothing (the local cloud): then there is nothing to say before the launch. */
    public boolean free() {
        return price.usdPerHour().filter(p -> p == 0).isPresent();
    }

    /**
     * One line: {@code launching t3.large in us-east-1 at $0.0832/h; it ends itself after 30m idle or 8h at most
     * (≤ $0.67)}.
     */
    public String line() {
        String ends = "it ends itself after " + Durations.human(idleTimeout) + " idle"
                + maxLifetime.map(l -> " or " + Durations.human(l) + " at most").orElse("");
        if (price.usdPerHour().isEmpty()) {
            return "launching " + what() + " (" + price.unknownReason() + "); " + ends
                    + maxLifetime.map(l -> "").orElse("; no max lifetime");
        }
        double perHour = price.usdPerHour().get() * count;
        String worst = perHour == 0 ? "" : maxLifetime
                .map(l -> " (≤ " + Price.usd(price.costOf(l).orElseThrow() * count) + (spot ? " at today's spot price"
                        : "") + ")")
                .orElse("; no max lifetime: " + Price.usd(perHour) + " for every hour it runs");
        return "launching " + what() + " at " + price.perHour() + (spot ? " (spot, now)" : "") + "; " + ends + worst;
    }

    private String what() {
        return (count > 1 ? count + " × " : "") + price.instanceType()
                + (price.region().isEmpty() ? "" : " in " + price.region());
    }
}
