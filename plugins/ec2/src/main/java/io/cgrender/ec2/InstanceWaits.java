package io.cgrender.ec2;

import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Waiting for an EC2 instance and acting on it while EC2 is eventually consistent: an instance this process has just
 * launched may be unknown to every call for a while ({@code InvalidInstanceID.NotFound}), yet exist and run. Such an
 * answer is "not yet", never "gone": for an instance launched here until the caller's timeout, for any other id until
 * the consistency window has passed (another cgrender may have launched it a moment ago). Polls go through
 * {@link AwsWait}, so they back off while EC2 throttles them.
 */
final class InstanceWaits {

    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");

    private final AwsClients aws;
    private final Duration pollInterval;
    private final Supplier<Duration> consistencyWindow;
    /** Instances this process launched: EC2 may not know them for a while after RunInstances. */
    private final Set<String> launchedHere = ConcurrentHashMap.newKeySet();

    InstanceWaits(AwsClients aws, Duration pollInterval, Supplier<Duration> consistencyWindow) {
        this.aws = aws;
        this.pollInterval = pollInterval;
        this.consistencyWindow = consistencyWindow;
    }

    static boolean isInstanceId(String id) {
        return id != null && INSTANCE_ID.matcher(id).matches();
    }

    /** Records that this process launched {@code id}, the moment RunInstances answered. */
    void launched(String id) {
        launchedHere.add(id);
    }

    /** The instance {@code id} in any state, terminated included; empty if EC2 does not know it (yet). */
    Optional<Instance> lookup(String id) {
        if (!isInstanceId(id)) {
            return Optional.empty();
        }
        try {
            return aws.ec2().describeInstances(r -> r.instanceIds(id)).reservations().stream()
                    .flatMap(r -> r.instances().stream()).filter(i -> id.equals(i.instanceId())).findFirst();
        } catch (SdkException e) {
            if (AwsErrors.is(e, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed")) {
                return Optional.empty();
            }
            throw aws.explain("looking up EC2 instance " + id, e);
        }
    }

    /**
     * Polls instance {@code id} until {@code judge} finds it ready (or throws). While EC2 does not know the id it is
     * polled again until that is believed; then {@code unknown} answers.
     */
    <T> T await(String id, String stage, Duration timeout, Progress progress, Function<Instance, Wait.Poll<T>> judge,
                Supplier<T> unknown) {
        long since = System.nanoTime();
        return AwsWait.until(stage, timeout, pollInterval, progress, () -> {
            Optional<Instance> instance = lookup(id);
            if (instance.isPresent()) {
                return judge.apply(instance.get());
            }
            return believed(id, since) ? Wait.Poll.ready(unknown.get()) : notYet(id);
        });
    }

    /**
     * Makes {@code call}, an action on instance {@code id}, repeating it while EC2 answers that it does not know the
     * id, until that is believed. Returns whether it was made; false when EC2 does not know the id.
     */
    boolean act(String id, String doing, Duration timeout, Progress progress, Runnable call) {
        long since = System.nanoTime();
        return AwsWait.until(doing, timeout, pollInterval, progress, () -> {
            try {
                call.run();
                return Wait.Poll.ready(Boolean.TRUE);
            } catch (SdkException e) {
                if (!AwsErrors.is(e, "InvalidInstanceID.NotFound")) {
                    throw aws.explain(doing, e);
                }
                return believed(id, since) ? Wait.Poll.ready(Boolean.FALSE) : notYet(id);
            }
        });
    }

    /**
     * Whether EC2's answer that it does not know {@code id}, asked since {@code since} (nano time), is to be believed:
     * never for an instance launched here (EC2 said it exists; the caller's timeout ends the doubt), else once the
     * consistency window has passed.
     */
    private boolean believed(String id, long since) {
        return !launchedHere.contains(id) && System.nanoTime() - since >= consistencyWindow.get().toNanos();
    }

    private static <T> Wait.Poll<T> notYet(String id) {
        return Wait.Poll.notYet("EC2 does not know " + id + " yet");
    }
}
