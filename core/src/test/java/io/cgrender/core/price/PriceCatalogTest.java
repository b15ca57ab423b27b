package io.cgrender.core.price;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceCatalogTest {

    @TempDir
    Path home;

    private static final String FIX = "set cgrender.ec2.hourly-prices";

    private static PriceCatalog small() {
        return PriceCatalog.load(PriceCatalogTest.class.getResource("/prices/small-catalog.csv"), FIX);
    }

    @Test
    void readsPricesByTypeAndRegionWithTheirDateAndSource() {
        PriceCatalog catalog = small();
        assertEquals(3, catalog.size());
        Price p = catalog.onDemand("t3.large", "eu-west-1");
        assertEquals(Optional.of(0.0912), p.usdPerHour());
        assertEquals(Optional.of(LocalDate.of(2025, 6, 2)), p.taken());
        assertEquals("test catalog", p.source());
        assertEquals("$0.0912/h", p.perHour());
        assertEquals(0.0832, catalog.onDemand("t3.large", "us-east-1").usdPerHour().orElseThrow());
    }

    @Test
    void anUnknownTypeOrRegionHasNoPriceAndSaysWhatSetsOne() {
        Price p = small().onDemand("t3.large", "ap-south-2");
        assertFalse(p.known());
        assertEquals("?", p.perHour());
        assertEquals(Optional.empty(), p.costOf(Duration.ofHours(1)));
        assertEquals("price unknown for t3.large in ap-south-2; set cgrender.ec2.hourly-prices", p.unknownReason());
        assertFalse(small().onDemand("x9.huge", "us-east-1").known());
    }

    @Test
    void configuredPricesComeBeforeTheCatalogAndAFlatRateBeforeBoth() {
        PriceCatalog catalog = small().withPrice("t3.large", 0.05, "cgrender.ec2.hourly-prices");
        Price typed = catalog.onDemand("t3.large", "eu-west-1");
        assertEquals(Optional.of(0.05), typed.usdPerHour());
        assertEquals("cgrender.ec2.hourly-prices", typed.source());
        assertEquals(Optional.empty(), typed.taken());
        assertEquals(0.085, catalog.onDemand("c6i.large", "us-east-1").usdPerHour().orElseThrow());
        PriceCatalog flat = catalog.withFlatRate(0.2, "cgrender.ec2.hourly-price");
        assertEquals(Optional.of(0.2), flat.onDemand("t3.large", "us-east-1").usdPerHour());
        assertEquals(Optional.of(0.2), flat.onDemand("x9.huge", "nowhere-1").usdPerHour());
    }

    @Test
    void aBrokenCatalogNamesItsLine() {
        CgrenderException header = assertThrows(CgrenderException.class,
                () -> PriceCatalog.parse("type,price\n", "x.csv", FIX));
        assertTrue(header.getMessage().contains("x.csv, line 1"), header.getMessage());
        CgrenderException date = assertThrows(CgrenderException.class, () -> PriceCatalog.parse(
                "instance_type,region,usd_per_hour,date_taken\nt3.large,us-east-1,0.08,June\n", "x.csv", FIX));
        assertTrue(date.getMessage().contains("line 2"), date.getMessage());
    }

    @Test
    void costsAndAmountsReadAsUsersExpect() {
        Price p = small().onDemand("t3.large", "us-east-1");
        assertEquals(0.0832 * 8, p.costOf(Duration.ofHours(8)).orElseThrow(), 1e-9);
        assertEquals("$0.6656", Price.usd(0.0832 * 8));
        assertEquals("$12.5", Price.usd(12.5));
        assertEquals("$0", Price.usd(0));
        assertEquals("$0.00001", Price.usd(0.00001));
        assertEquals("$0.6656", Price.usd(0.6656));
        assertEquals("$0/h", Price.free("a local box", "local cloud").perHour());
    }

    @Test
    void theLaunchLineStatesTheWorstCaseUnderTheBoxsLimits() {
        Price p = small().onDemand("t3.large", "us-east-1");
        LaunchCost eight = new LaunchCost(p, 1, false, Duration.ofMinutes(30), Optional.of(Duration.ofHours(8)));
        assertEquals("launching t3.large in us-east-1 at $0.0832/h; it ends itself after 30m idle or 8h at most"
                + " (≤ $0.6656)", eight.line());
        LaunchCost forever = new LaunchCost(p, 2, false, Duration.ofMinutes(30), Optional.empty());
        assertEquals("launching 2 × t3.large in us-east-1 at $0.0832/h; it ends itself after 30m idle; no max"
                + " lifetime: $0.1664 for every hour it runs", forever.line());
        assertFalse(eight.free());
        assertTrue(new LaunchCost(Price.free("a local box", "the local cloud"), 1, false, Duration.ofMinutes(30),
                Optional.empty()).free());
        LaunchCost unknown = new LaunchCost(small().onDemand("x9.huge", "us-east-1"), 1, false,
                Duration.ofMinutes(30), Optional.of(Duration.ofHours(8)));
        assertTrue(unknown.line().contains("price unknown for x9.huge in us-east-1; set cgrender.ec2.hourly-prices"),
                unknown.line());
    }

    @Test
    void theBudgetRefusesADearerOrUnknownPriceOnlyWhenSet() {
        Settings none = Settings.defaults();
        Price p = small().onDemand("t3.large", "us-east-1");
        LaunchCost cost = new LaunchCost(p, 1, false, Duration.ofMinutes(30), Optional.of(Duration.ofHours(8)));
        LaunchCost unknown = new LaunchCost(small().onDemand("x9.huge", "us-east-1"), 1, false,
                Duration.ofMinutes(30), Optional.of(Duration.ofHours(8)));
        cost.checkBudget(none);
        unknown.checkBudget(none);
        Settings tight = budget("0.05");
        UsageException dear = assertThrows(UsageException.class, () -> cost.checkBudget(tight));
        assertTrue(dear.getMessage().contains("t3.large in us-east-1 costs $0.0832/h, above"
                + " cgrender.budget.max-hourly ($0.05/h)"), dear.getMessage());
        assertTrue(dear.hint().isPresent());
        UsageException unpriced = assertThrows(UsageException.class, () -> unknown.checkBudget(tight));
        assertTrue(unpriced.getMessage().contains("refuses a launch at an unknown price"), unpriced.getMessage());
        cost.checkBudget(budget("0.10"));
        assertThrows(UsageException.class, () -> cost.checkBudget(budget("cheap")));
    }

    private Settings budget(String value) {
        return Settings.load(Dirs.from(Map.of("XDG_CONFIG_HOME", home.resolve("cfg").toString()), home),
                Optional.empty(), Map.of(), Map.of(LaunchCost.BUDGET, value));
    }
}
