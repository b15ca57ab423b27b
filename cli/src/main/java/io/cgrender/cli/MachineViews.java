package io.cgrender.cli;

import io.cgrender.core.box.BoxLifetime;
import io.cgrender.core.box.BoxResolver;
import io.cgrender.core.claim.BoxClaim;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.price.Price;
import io.cgrender.core.price.Pricing;
import io.cgrender.core.os.MachineId;
import io.cgrender.core.ui.Durations;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** How machines are shown by {@code list} and {@code show}: a table row, details, or JSON. */
public final class MachineViews {

    private final List<Machine> namespaceMachines;
    private final Duration lease;
    private final Optional<Pricing> pricing;
    private final Map<String, Price> prices = new HashMap<>();
    private final Instant now = Instant.now();

    /**
     * @param namespaceMachines every machine of the namespace, oldest first (ordinals count in it)
     * @param lease             how long a creator's lease is valid ({@code cgrender.claims.lease}), to tell orphans
     * @param pricing           the cloud's prices, where it knows them
     */
    public MachineViews(List<Machine> namespaceMachines, Duration lease, Optional<Pricing> pricing) {
        this.namespaceMachines = namespaceMachines;
        this.lease = lease;
        this.pricing = pricing;
    }

    public Table table(List<Machine> machines) {
        Table table = new Table("ID", "ROLE", "ORDINAL", "STATE", "STAGE", "ADDRESS", "UPTIME", "ENDS", "PRICE",
                "COST");
        for (Machine m : machines) {
            Optional<Price> price = price(m);
            table.row(m.id(), m.role(), ordinalRef(m), m.state().label(), stage(m),
                    address(m) == null ? "-" : address(m), uptime(m) == null ? "-" : Durations.human(uptime(m)),
                    ends(m), price.map(Price::perHour).orElse("-"), accrued(m).map(Price::usd).orElse("-"));
        }
        return table;
    }

    public Map<String, Object> json(Machine m) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", m.id());
        json.put("role", m.role());
        json.put("ordinal", ordinal(m));
        json.put("namespace", m.tags().get(Tags.NAMESPACE));
        json.put("state", m.state().label());
        json.put("stage", m.tags().get(Tags.STAGE));
        BoxClaim claim = claim(m);
        json.put("orphan", claim.status() == BoxClaim.Status.ORPHAN);
        claim.orphanReason().ifPresent(why -> json.put("orphan_reason", why));
        claim.lease().ifPresent(l -> json.put("lease", Map.of("holder", claim.creator(MachineId.current()),
                "until", l.until().toString())));
        json.put("address", address(m));
        json.put("launched_at", m.launchedAt().toString());
        json.put("uptime_seconds", uptime(m) == null ? null : uptime(m).toSeconds());
        json.put("expires_at", m.tags().get(Tags.EXPIRES_AT));
        BoxLifetime lifetime = BoxLifetime.of(m);
        json.put("idle_timeout_seconds", lifetime.idleTimeout().map(Duration::toSeconds).orElse(null));
        json.put("idle", lifetime.idle().name().toLowerCase(Locale.ROOT));
        json.put("idle_since", lifetime.idleSince().map(Instant::toString).orElse(null));
        json.put("max_lifetime_seconds", lifetime.maxLifetime().map(Duration::toSeconds).orElse(null));
        json.put("kept_since", lifetime.keptSince().map(Instant::toString).orElse(null));
        json.put("no_expiry", lifetime.noExpiry());
        Optional<BoxLifetime.Ending> next = m.state() == MachineState.RUNNING ? lifetime.next() : Optional.empty();
        json.put("ends_at", next.map(e -> e.at().toString()).orElse(null));
        json.put("ends_by", next.map(e -> e.limit().name().toLowerCase(Locale.ROOT).replace('_', ' ')).orElse(null));
        Optional<Price> price = price(m);
        json.put("hourly_price", price.flatMap(Price::usdPerHour).orElse(null));
        json.put("accrued_cost", accrued(m).orElse(null));
        json.put("price_source", price.map(p -> p.known() ? p.source() : p.unknownReason()).orElse(null));
        json.put("price_date", price.flatMap(Price::taken).map(Object::toString).orElse(null));
        json.put("tags", new TreeMap<>(m.tags()));
        return json;
    }

    /**
     * When a running box ends itself, as far as it is known: {@code in 27m (idle for 3m)}, {@code in 10m (max
     * lifetime)}, {@code busy (at most 7h52m)}, or {@code at most 7h52m} where the box does not report its idle timer;
     * {@code kept} while someone on the box keeps it; for a box whose idle timer alone ends it
     * {@code in 27m (idle for 3m; no expiry)}, {@code busy (no expiry)} or {@code no expiry}.
     */
    private String ends(Machine m) {
        if (m.state() != MachineState.RUNNING) {
            return "-";
        }
        BoxLifetime lifetime = BoxLifetime.of(m);
        if (lifetime.kept()) {
            return "kept (for " + Durations.human(Duration.between(lifetime.keptSince().orElseThrow(), now)) + ")";
        }
        Optional<BoxLifetime.Ending> next = lifetime.next();
        if (next.isEmpty()) {
            return !lifetime.noExpiry() ? "-" : lifetime.idle() == BoxLifetime.Idle.BUSY ? "busy (no expiry)"
                    : "no expiry";
        }
        String in = Durations.human(Duration.between(now, next.get().at()));
        if (next.get().limit() == BoxLifetime.Limit.IDLE_TIMEOUT) {
            return "in " + in + " (idle for " + Durations.human(Duration.between(lifetime.idleSince().orElseThrow(),
                    now)) + (lifetime.noExpiry() ? "; no expiry" : "") + ")";
        }
        return switch (lifetime.idle()) {
            case IDLE -> "in " + in + " (max lifetime)";
            case BUSY -> "busy (at most " + in + ")";
            case UNREPORTED -> "at most " + in;
        };
    }

    /** What an hour of the machine costs, where the cloud knows prices; asked once per machine. */
    private Optional<Price> price(Machine m) {
        return pricing.map(p -> prices.computeIfAbsent(m.id(), id -> p.of(m)));
    }

    /** What a running machine has cost since its launch, where its price is known. */
    private Optional<Double> accrued(Machine m) {
        Duration uptime = uptime(m);
        return uptime == null ? Optional.empty() : price(m).flatMap(p -> p.costOf(uptime));
    }

    /** The stage tag, marked when the box is an orphan (nobody works on it any more). */
    private String stage(Machine m) {
        String stage = m.tags().getOrDefault(Tags.STAGE, "-");
        return claim(m).status() == BoxClaim.Status.ORPHAN ? stage + " (orphan)" : stage;
    }

    private BoxClaim claim(Machine m) {
        return BoxClaim.of(m, now, MachineId.current(), lease);
    }

    public String ordinalRef(Machine m) {
        return m.role() + "#" + ordinal(m);
    }

    private int ordinal(Machine m) {
        return BoxResolver.ordinal(namespaceMachines, m);
    }

    private static String address(Machine m) {
        return m.state() == MachineState.RUNNING ? m.address().orElse(null) : null;
    }

    private Duration uptime(Machine m) {
        return m.state() == MachineState.RUNNING ? Duration.between(m.launchedAt(), now) : null;
    }
}
