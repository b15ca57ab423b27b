package io.cgrender.core.price;

import io.cgrender.core.CgrenderException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Hourly on-demand prices by instance type and region, read from a catalog file, with the prices the user configured
 * on top. A price is looked up in this order: the flat rate for every type ({@link #withFlatRate}), the user's price
 * of the type ({@link #withPrice}), the catalog's price of the type in the region; otherwise it is unknown.
 * <p>
 * The file is CSV: {@code instance_type,region,usd_per_hour,date_taken} (one header line of these names first),
 * {@code #} starts a comment line; {@code # source: TEXT} names where the prices come from.
 */
public final class PriceCatalog {

    private static final List<String> HEADER = List.of("instance_type", "region", "usd_per_hour", "date_taken");

    private record Entry(double usdPerHour, LocalDate taken) {
    }

    private final Map<String, Entry> entries;
    private final String source;
    private final Map<String, Price> configured;
    private final Optional<Price> flatRate;
    private final String unknownFix;

    private PriceCatalog(Map<String, Entry> entries, String source, Map<String, Price> configured,
                         Optional<Price> flatRate, String unknownFix) {
        this.entries = entries;
        this.source = source;
        this.configured = configured;
        this.flatRate = flatRate;
        this.unknownFix = unknownFix;
    }

    /** An empty catalog: only configured prices are known. */
    public static PriceCatalog empty(String unknownFix) {
        return new PriceCatalog(Map.of(), "no catalog", Map.of(), Optional.empty(), unknownFix);
    }

    /** Reads a catalog file bundled as a resource (or anywhere a URL reaches). */
    public static PriceCatalog load(URL file, String unknownFix) {
        try (InputStream in = file.openStream()) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), file.toString(), unknownFix);
        } catch (IOException e) {
            throw new CgrenderException("cannot read the price catalog " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param text       the catalog file's contents
     * @param origin     where it was read from, for errors
     * @param unknownFix what to tell a user whose instance type has no price, e.g.
     *                   {@code set cgrender.ec2.hourly-prices}
     */
    public static PriceCatalog parse(String text, String origin, String unknownFix) {
        Map<String, Entry> entries = new HashMap<>();
        String source = "price catalog " + origin;
        boolean header = false;
        String[] lines = text.split("\r?\n");
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.startsWith("#")) {
                String comment = line.substring(1).strip();
                if (comment.startsWith("source:")) {
                    source = comment.substring("source:".length()).strip();
                }
                continue;
            }
            if (line.isEmpty()) {
                continue;
            }
            List<String> cells = List.of(line.split(",", -1)).stream().map(String::strip).toList();
            if (!header) {
                if (!cells.equals(HEADER)) {
                    throw bad(origin, n, "the first line must be " + String.join(",", HEADER));
                }
                header = true;
                continue;
            }
            if (cells.size() != HEADER.size() || cells.get(0).isEmpty() || cells.get(1).isEmpty()) {
                throw bad(origin, n, "expected " + String.join(",", HEADER));
            }
            double price;
            LocalDate taken;
            try {
                price = Double.parseDouble(cells.get(2));
                taken = LocalDate.parse(cells.get(3));
            } catch (NumberFormatException | DateTimeParseException e) {
                throw bad(origin, n, "bad price or date (" + e.getMessage() + ")");
            }
            if (price < 0 || !Double.isFinite(price)) {
                throw bad(origin, n, "a price must be at least 0");
            }
            entries.put(key(cells.get(0), cells.get(1)), new Entry(price, taken));
        }
        if (!header) {
            throw bad(origin, lines.length - 1, "no header line " + String.join(",", HEADER));
        }
        return new PriceCatalog(Map.copyOf(entries), source, Map.of(), Optional.empty(), unknownFix);
    }

    /** This catalog with {@code usdPerHour} for {@code instanceType} in every region, from {@code source}. */
    public PriceCatalog withPrice(String instanceType, double usdPerHour, String source) {
        Map<String, Price> prices = new LinkedHashMap<>(configured);
        prices.put(instanceType, new Price(instanceType, "", Optional.of(usdPerHour), Optional.empty(), source));
        return new PriceCatalog(entries, this.source, Map.copyOf(prices), flatRate, unknownFix);
    }

    /** This catalog with {@code usdPerHour} for every instance type in every region, from {@code source}. */
    public PriceCatalog withFlatRate(double usdPerHour, String source) {
        return new PriceCatalog(entries, this.source, configured,
                Optional.of(new Price("", "", Optional.of(usdPerHour), Optional.empty(), source)), unknownFix);
    }

    /** The on-demand price of {@code instanceType} in {@code region}; {@link Price#known()} says if there is one. */
    public Price onDemand(String instanceType, String region) {
        Optional<Price> set = flatRate.or(() -> Optional.ofNullable(configured.get(instanceType)));
        if (set.isPresent()) {
            return new Price(instanceType, region, set.get().usdPerHour(), Optional.empty(), set.get().source());
        }
        Entry e = entries.get(key(instanceType, region));
        if (e == null) {
            return Price.unknown(instanceType, region, unknownFix);
        }
        return new Price(instanceType, region, Optional.of(e.usdPerHour), Optional.of(e.taken), source);
    }

    /** How many prices the catalog file holds. */
    public int size() {
        return entries.size();
    }

    private static String key(String instanceType, String region) {
        return instanceType + "@" + region;
    }

    private static CgrenderException bad(String origin, int line, String what) {
        return new CgrenderException("price catalog " + origin + ", line " + (line + 1) + ": " + what);
    }
}
