package io.cgrender.ec2;

import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * AWS's eventual consistency, as clients that first use a namespace at the same moment meet it: a create answers that
 * the resource exists (another client made it a moment ago), yet a describe or get does not show it for some seconds
 * more. {@link #await} repeats the lookup until it does, for a bounded time, backing off while AWS throttles it.
 */
final class Visibility {

    /** How long AWS may take to show what it says exists; AWS documents seconds, rarely a minute. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Visibility() {
    }

    /**
     * Repeats {@code lookup} every {@code interval} until it finds {@code what} (e.g. "key pair cgrender_a_").
     *
     * @throws io.cgrender.core.CgrenderException when it does not within {@link #TIMEOUT}
     */
    static <T> T await(String what, Duration interval, Progress progress, Supplier<Optional<T>> lookup) {
        return AwsWait.until("waiting for AWS to show " + what + ", made a moment ago", TIMEOUT,
                interval, progress, () -> lookup.get().map(Wait.Poll::ready)
                        .orElseGet(() -> Wait.Poll.notYet("not shown yet; if this lasts, run the command again")));
    }
}
