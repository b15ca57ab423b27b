package io.cgrender.core.claim;

import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Renews this process's lease on a box while it works on it: every {@code every}, the box's {@link Tags#LEASE} is
 * written again, valid for {@code validity}. A renewal that fails (the cloud unreachable for a moment) is retried at
 * the next one; the lease stays valid meanwhile. Closing stops the renewals; the lease then runs out by itself, or is
 * cleared when the box is ready.
 */
public final class LeaseKeeper implements AutoCloseable {

    private final Cloud cloud;
    private final String machineId;
    private final Duration validity;
    private final Console console;
    private final ScheduledExecutorService renewals;

    private LeaseKeeper(Cloud cloud, String machineId, Duration validity, Duration every, Console console) {
        this.cloud = cloud;
        this.machineId = machineId;
        this.validity = validity;
        this.console = console;
        this.renewals = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cgrender-lease-" + machineId);
            t.setDaemon(true);
            return t;
        });
        renewals.scheduleWithFixedDelay(this::renew, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts renewing the lease on {@code machineId}, which already carries this process's first lease. */
    public static LeaseKeeper start(Cloud cloud, String machineId, ClaimSettings settings, Console console) {
        return new LeaseKeeper(cloud, machineId, settings.lease(), settings.renewEvery(), console);
    }

    /** Writes a fresh lease now (e.g. when a new stage begins under an old lease). */
    public void renew() {
        try {
            cloud.tag(machineId, Map.of(Tags.LEASE, Lease.ofSelf(Instant.now(), validity).tagValue()));
        } catch (RuntimeException e) {
            console.verbose("could not renew the lease on " + machineId + " (trying again later): " + e.getMessage());
        }
    }

    @Override
    public void close() {
        renewals.shutdownNow();
        try {
            renewals.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
