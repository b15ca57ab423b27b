package io.cgrender.core.doctor;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Durations;
import io.cgrender.core.ui.Heartbeat;
import io.cgrender.core.ui.Progress;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one {@link Check} so that nothing it does can stop {@code cgrender doctor}: a check that throws has failed with
 * what it threw, and one that takes longer than its {@link Check#timeout()} has failed for that (its thread is
 * interrupted and left behind as a daemon). A check that takes longer than {@link Progress#QUIET_PERIOD} says so on
 * the progress line.
 */
public final class Checkup {

    private Checkup() {
    }

    /** What one check found, under its name. */
    public record Finding(String name, CheckResult result) {
    }

    /** Runs {@code check}, reporting a long wait on {@code console}'s progress line. */
    public static Finding run(Check check, Console console) {
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cgrender-check");
            t.setDaemon(true);
            return t;
        });
        Duration timeout = check.timeout();
        try (Heartbeat heartbeat = Heartbeat.start(console.progress(), "checking " + check.name(), timeout, () -> "")) {
            Future<CheckResult> result = worker.submit(check::run);
            try {
                return new Finding(check.name(), result.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                result.cancel(true);
                return new Finding(check.name(), CheckResult.fail("no answer within " + Durations.human(timeout),
                        "check the network, then run: cgrender doctor"));
            } catch (ExecutionException e) {
                return new Finding(check.name(), failure(e.getCause(), console));
            } catch (InterruptedException e) {
                result.cancel(true);
                Thread.currentThread().interrupt();
                throw new CgrenderException("interrupted while checking " + check.name(), e);
            }
        } finally {
            worker.shutdownNow();
        }
    }

    private static CheckResult failure(Throwable e, Console console) {
        if (console.isVerbose()) {
            e.printStackTrace(console.err());
        }
        if (e instanceof CgrenderException failure) {
            return CheckResult.failure(failure);
        }
        return CheckResult.fail("unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage()
                + (console.isVerbose() ? "" : " (run with -v for details)"));
    }
}
