package io.cgrender.ec2;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.Settings;
import io.cgrender.core.price.Price;
import io.cgrender.core.price.PriceCatalog;
import io.cgrender.core.price.Pricing;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.SpotPrice;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * What EC2 boxes cost an hour: on-demand prices from the catalog bundled with cgrender ({@code ec2-prices.csv}) under
 * the user's {@code cgrender.ec2.hourly-prices} and {@code cgrender.ec2.hourly-price}; spot prices from the region's
 * spot price history (the newest price of the box's type in its availability zone).
 */
final class Ec2Pricing implements Pricing {

    static final String UNKNOWN_FIX = "set cgrender.ec2.hourly-prices";
    private static final String CATALOG = "ec2-prices.csv";
    private static final String LINUX = "Linux/UNIX";

    private final Ec2Cloud cloud;
    private final PriceCatalog catalog;
    private final Map<String, Optional<SpotPrice>> spot = new ConcurrentHashMap<>();

    Ec2Pricing(Ec2Cloud cloud, PriceCatalog catalog) {
        this.cloud = cloud;
        this.catalog = catalog;
    }

    /** The bundled catalog under the configured prices, checked when the cloud opens. */
    static PriceCatalog catalog(Settings settings) {
        PriceCatalog catalog = PriceCatalog.load(Ec2Pricing.class.getResource(CATALOG), UNKNOWN_FIX);
        Config c = settings.config();
        for (Map.Entry<String, ConfigValue> e : c.getObject("cgrender.ec2.hourly-prices").entrySet()) {
            if (e.getValue().unwrapped() instanceof Number n && n.doubleValue() >= 0) {
                catalog = catalog.withPrice(e.getKey(), n.doubleValue(), "cgrender.ec2.hourly-prices");
            } else {
                throw new UsageException("bad configuration: cgrender.ec2.hourly-prices.\"" + e.getKey() + "\" must be"
                        + " a price in USD per hour, e.g. 0.085 (" + e.getValue().origin().description() + ")");
            }
        }
        String flat = c.getString("cgrender.ec2.hourly-price").strip();
        if (!flat.isEmpty()) {
            catalog = catalog.withFlatRate(flatRate(flat), "cgrender.ec2.hourly-price");
        }
        return catalog;
    }

    @Override
    public Price of(Machine machine) {
        return of(cloud.described(machine.id()));
    }

    /** The price of a described instance: spot or on-demand, of its type in its zone. */
    Price of(Instance instance) {
        String type = instance.instanceTypeAsString();
        if (instance.instanceLifecycle() == InstanceLifecycleType.SPOT) {
            String zone = instance.placement() == null ? null : instance.placement().availabilityZone();
            return spot(type, Optional.ofNullable(zone));
        }
        return onDemand(type);
    }

    @Override
    public Price forLaunch(String role, MachineSpec machine, Optional<String> instanceType, boolean spotCapacity) {
        Optional<String> type = instanceType.or(() -> cloud.settings().roleDefault(role, "instance-type"))
                .or(machine::recommendedInstanceType);
        if (type.isEmpty()) {
            return Price.unknown("a " + role + " box", region(), "the role recommends no instance type");
        }
        return spotCapacity ? spot(type.get(), Optional.empty()) : onDemand(type.get());
    }

    private Price onDemand(String type) {
        return catalog.onDemand(type, region());
    }

    /**
     * The newest spot price of {@code type} in {@code zone}, or (no zone: before a launch) the highest of the newest
     * prices of the region's zones; the on-demand price where the history has none (a spot box pays at most that).
     */
    private Price spot(String type, Optional<String> zone) {
        Optional<SpotPrice> newest;
        String none = "no spot price history";
        try {
            newest = spot.computeIfAbsent(type + "@" + zone.orElse(""), k -> newestSpot(type, zone));
        } catch (CgrenderException unreadable) {
            newest = Optional.empty();
            none = "the spot price history is not readable (" + unreadable.getMessage() + ")";
        }
        if (newest.isEmpty()) {
            Price onDemand = onDemand(type);
            return onDemand.known() ? new Price(type, region(), onDemand.usdPerHour(), onDemand.taken(),
                    none + "; the on-demand price (" + onDemand.source() + ") is the most spot costs") : onDemand;
        }
        SpotPrice p = newest.get();
        return new Price(type, zone.orElse(region()), Optional.of(Double.parseDouble(p.spotPrice())),
                Optional.of(p.timestamp().atOffset(ZoneOffset.UTC).toLocalDate()),
                "spot price history (" + p.availabilityZone() + ", " + p.timestamp() + ")");
    }

    private Optional<SpotPrice> newestSpot(String type, Optional<String> zone) {
        Instant now = Instant.now();
        List<SpotPrice> prices = cloud.aws().call("reading the spot price of " + type, () -> cloud.aws().ec2()
                .describeSpotPriceHistoryPaginator(r -> r.instanceTypesWithStrings(type).productDescriptions(LINUX)
                        .availabilityZone(zone.orElse(null)).startTime(now).endTime(now))
                .spotPriceHistory().stream().filter(p -> zone.isEmpty() || zone.get().equals(p.availabilityZone()))
                .toList());
        Map<String, Optional<SpotPrice>> newestByZone = prices.stream().collect(Collectors.groupingBy(
                SpotPrice::availabilityZone, Collectors.maxBy(Comparator.comparing(SpotPrice::timestamp))));
        return newestByZone.values().stream().flatMap(Optional::stream)
                .max(Comparator.comparingDouble(p -> Double.parseDouble(p.spotPrice())));
    }

    private String region() {
        return cloud.aws().region().id();
    }

    private static double flatRate(String text) {
        try {
            double p = Double.parseDouble(text);
            if (p < 0 || !Double.isFinite(p)) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new UsageException("bad configuration: cgrender.ec2.hourly-price must be a price in USD per hour,"
                    + " e.g. 0.085, not '" + text + "'");
        }
    }
}
