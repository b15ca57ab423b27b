package io.cgrender.ec2;

import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The one way cgrender waits for AWS: {@link Wait#until} whose polls survive throttling. A poll whose call AWS kept
 * throttling through the SDK's own retries is not a failure of the wait: the next poll backs off (exponentially, with
 * jitter, up to {@link Wait#MAX_BACK_OFF}) and the wait goes on, within its timeout and with its progress line.
 */
final class AwsWait {

    private AwsWait() {
    }

    /** Polls {@code probe} every {@code interval} until it is ready, backing off while AWS throttles it. */
    static <T> T until(String stage, Duration timeout, Duration interval, Progress progress,
                       Supplier<Wait.Poll<T>> probe) {
        return Wait.until(stage, timeout, interval, progress, () -> {
            try {
                return probe.get();
            } catch (RuntimeException e) {
                if (AwsErrors.throttled(e)) {
                    return Wait.Poll.backOff("AWS throttled the call; asking less often");
                }
                throw e;
            }
        });
    }
}
