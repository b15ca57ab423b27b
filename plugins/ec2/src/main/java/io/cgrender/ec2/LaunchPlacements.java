package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Console;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Subnet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a launch goes when EC2 has no capacity for it ({@code InsufficientInstanceCapacity}, which the SDK has retried
 * already): first where it was asked for (the configured subnet, or the zone EC2 chooses), then the other availability
 * zones of the VPC (the subnet's, or the default VPC; one subnet per zone), then each of
 * {@code cgrender.ec2.fallback-instance-types} in every zone. Each step is said on the console; when none has capacity,
 * one error lists every place tried. A RunInstances that EC2 refuses for capacity made no instance, so there is
 * nothing to clean up between the attempts.
 */
final class LaunchPlacements {

    private static final Pattern ZONE = Pattern.compile("\\(([a-z]{2}(?:-[a-z]+)+-\\d+[a-z])\\)");

    /** One place to launch at: an instance type in a subnet (empty: where EC2 chooses) of a zone (empty: unknown). */
    record Placement(String instanceType, Optional<String> subnet, String zone) {

        String where() {
            return zone.isEmpty() ? "the zone EC2 chose" : zone;
        }
    }

    private final AwsClients aws;
    private final Ec2Settings settings;
    private final Supplier<String> vpc;
    private final Console console;

    LaunchPlacements(AwsClients aws, Ec2Settings settings, Supplier<String> vpc, Console console) {
        this.aws = aws;
        this.settings = settings;
        this.vpc = vpc;
        this.console = console;
    }

    /**
     * Launches with {@code run} at the first placement of {@code instanceType} (then of the fallback types) that has
     * capacity.
     *
     * @throws CgrenderException naming every placement tried when none had capacity; any other failure at once
     */
    Instance launch(String instanceType, String what, Function<Placement, Instance> run) {
        List<Refusal> refused = new ArrayList<>();
        Placement first = new Placement(instanceType, settings.subnet(), "");
        Optional<Instance> launched = attempt(first, run, refused);
        if (launched.isPresent()) {
            return launched.get();
        }
        Map<String, Subnet> zones = subnetsByZone();
        refused.set(0, new Refusal(new Placement(instanceType, first.subnet(), zoneOf(refused.get(0), zones)),
                refused.get(0).error()));
        for (String type : types(instanceType)) {
            for (Subnet subnet : zones.values()) {
                Placement next = new Placement(type, Optional.of(subnet.subnetId()), subnet.availabilityZone());
                Placement previous = refused.get(refused.size() - 1).placement();
                if (refused.stream().anyMatch(r -> r.placement().instanceType().equals(type)
                        && r.placement().zone().equals(next.zone()))) {
                    continue;
                }
                console.status("no " + previous.instanceType() + " capacity in " + previous.where() + "; trying "
                        + (type.equals(previous.instanceType()) ? next.zone() : type + " in " + next.zone()
                        + " (cgrender.ec2.fallback-instance-types)"));
                launched = attempt(next, run, refused);
                if (launched.isPresent()) {
                    return launched.get();
                }
            }
        }
        throw new CgrenderException(aws.where() + " has no capacity for " + what + " right now: tried "
                + tried(refused) + "; try again later, add instance types to cgrender.ec2.fallback-instance-types,"
                + " or use another region (--region)", refused.get(refused.size() - 1).error());
    }

    /** A placement EC2 refused for capacity, and how. */
    private record Refusal(Placement placement, RuntimeException error) {
    }

    /** Launches at {@code at}; empty, and {@code at} added to {@code refused}, when EC2 has no capacity there. */
    private static Optional<Instance> attempt(Placement at, Function<Placement, Instance> run, List<Refusal> refused) {
        try {
            return Optional.of(run.apply(at));
        } catch (RuntimeException e) {
            if (!AwsErrors.noCapacity(e)) {
                throw e;
            }
            refused.add(new Refusal(at, e));
            return Optional.empty();
        }
    }

    /** The box's own type, then the fallback types. */
    private List<String> types(String instanceType) {
        LinkedHashSet<String> types = new LinkedHashSet<>();
        types.add(instanceType);
        types.addAll(settings.fallbackInstanceTypes());
        return List.copyOf(types);
    }

    /**
     * One available subnet per zone of the VPC, by zone: the configured subnet for its zone, else the zone's default
     * subnet, else its first; only subnets that give instances a public address as the configured one does (so the
     * boxes are reached the same way wherever they are).
     */
    private Map<String, Subnet> subnetsByZone() {
        List<Subnet> all = aws.call("listing the subnets for another availability zone", () -> aws.ec2()
                .describeSubnetsPaginator(r -> r.filters(Filter.builder().name("vpc-id").values(vpc.get()).build(),
                        Filter.builder().name("state").values("available").build())).subnets().stream().toList());
        Optional<Subnet> configured = all.stream().filter(s -> settings.subnet().orElse("").equals(s.subnetId()))
                .findFirst();
        Map<String, Subnet> byZone = new LinkedHashMap<>();
        configured.ifPresent(s -> byZone.put(s.availabilityZone(), s));
        all.stream()
                .filter(s -> configured.isEmpty() || Boolean.TRUE.equals(s.mapPublicIpOnLaunch())
                        == Boolean.TRUE.equals(configured.get().mapPublicIpOnLaunch()))
                .sorted(Comparator.comparing(Subnet::availabilityZone)
                        .thenComparing(s -> !Boolean.TRUE.equals(s.defaultForAz()))
                        .thenComparing(Subnet::subnetId))
                .forEach(s -> byZone.putIfAbsent(s.availabilityZone(), s));
        return byZone;
    }

    /** The zone of a refused placement: its subnet's, else the one EC2 named in its refusal, else unknown (""). */
    private static String zoneOf(Refusal refusal, Map<String, Subnet> zones) {
        Optional<String> subnet = refusal.placement().subnet();
        if (subnet.isPresent()) {
            return zones.values().stream().filter(s -> s.subnetId().equals(subnet.get()))
                    .map(Subnet::availabilityZone).findFirst().orElse("");
        }
        for (Throwable t = refusal.error(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            Matcher m = ZONE.matcher(String.valueOf(t.getMessage()));
            if (m.find() && zones.containsKey(m.group(1))) {
                return m.group(1);
            }
        }
        return "";
    }

    /** "t3.small in us-east-1a, us-east-1b; t3.medium in us-east-1a". */
    private static String tried(List<Refusal> refused) {
        Map<String, List<String>> zonesByType = new LinkedHashMap<>();
        refused.forEach(r -> zonesByType.computeIfAbsent(r.placement().instanceType(), t -> new ArrayList<>())
                .add(r.placement().where()));
        List<String> parts = new ArrayList<>();
        zonesByType.forEach((type, zones) -> parts.add(type + " in " + String.join(", ", zones)));
        return String.join("; ", parts);
    }
}
