package io.cgrender.core.claim;

import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.Eventually;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.atLeast;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockingDetails;
import static org.mockito.Mockito.verify;

/** The renewals, against a cloud whose tagging is the seam (the clouds' own tagging is tested with each cloud). */
class LeaseKeeperTest {

    private static final ClaimSettings SETTINGS = new ClaimSettings(Duration.ofSeconds(30), Duration.ofMillis(100),
            Duration.ofMinutes(1), Duration.ZERO);

    private static long tagCalls(Cloud cloud) {
        return mockingDetails(cloud).getInvocations().stream().filter(i -> i.getMethod().getName().equals("tag"))
                .count();
    }

    @Test
    @SuppressWarnings("unchecked")
    void renewsUntilClosedEachTimeWithAFreshLeaseOfThisProcess() {
        Cloud cloud = mock(Cloud.class);
        Instant before = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        LeaseKeeper keeper = LeaseKeeper.start(cloud, "l-0123456789ab", SETTINGS, console());
        Eventually.await(Duration.ofSeconds(10), "two renewals", () -> tagCalls(cloud) >= 2);
        keeper.close();
        long afterClose = tagCalls(cloud);

        ArgumentCaptor<Map<String, String>> tags = ArgumentCaptor.forClass(Map.class);
        verify(cloud, atLeast(2)).tag(eq("l-0123456789ab"), tags.capture());
        List<Lease> leases = tags.getAllValues().stream().map(t -> Lease.parse(t.get(Tags.LEASE)).orElseThrow())
                .toList();
        for (Lease lease : leases) {
            assertEquals(Lease.ofSelf(Instant.now(), Duration.ZERO).holder(), lease.holder());
            assertTrue(!lease.until().isBefore(before.plusSeconds(30)), lease.toString());
        }
        Eventually.holdsFor(Duration.ofMillis(400), "no renewal after close", () -> tagCalls(cloud) == afterClose);
    }

    @Test
    void aFailedRenewalIsTriedAgainAtTheNext() {
        Cloud cloud = mock(Cloud.class);
        doThrow(new RuntimeException("endpoint unreachable")).when(cloud).tag(eq("i-1"), anyMap());
        StringWriter err = new StringWriter();
        try (LeaseKeeper keeper = LeaseKeeper.start(cloud, "i-1", SETTINGS, new Console(new PrintWriter(
                new StringWriter()), new PrintWriter(err, true), true))) {
            Eventually.await(Duration.ofSeconds(10), "three attempts", () -> tagCalls(cloud) >= 3);
        }
        assertTrue(err.toString().contains("could not renew the lease on i-1 (trying again later): endpoint"
                + " unreachable"), err.toString());
    }

    private static Console console() {
        return new Console(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false);
    }
}
