package io.cgrender.core.cloud;

import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.ui.Progress;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The small interface every cloud provider implements. Boxes and the CLI do the rest on top of it.
 * <p>
 * Conventions: methods taking an id throw {@link io.cgrender.core.CgrenderException} naming the id when it does not
 * exist; waits take a timeout and report through {@link Progress}; {@link #terminate} of a machine that is already
 * gone is not an error (cleanup must be idempotent).
 */
public interface Cloud extends AutoCloseable {

    /** The provider's name as used with {@code --cloud}. */
    String name();

    /** Starts a machine and returns as soon as it has an id, before it runs: the caller records the id at once. */
    Machine launch(LaunchSpec spec);

    /** Waits until {@code id} runs; fails with the last state seen after {@code timeout}. */
    Machine awaitRunning(String id, Duration timeout, Progress progress);

    /** The non-terminated machines matching {@code filter}, oldest first. */
    List<Machine> describe(MachineFilter filter);

    /** One machine by id, if it exists in any state but terminated. */
    Optional<Machine> find(String id);

    /** Adds or replaces tags on a machine. */
    void tag(String id, Map<String, String> tags);

    void stop(String id, Duration timeout, Progress progress);

    void start(String id, Duration timeout, Progress progress);

    /** Terminates and waits until it is gone. Idempotent. */
    void terminate(String id, Duration timeout, Progress progress);

    /** How to reach a running machine. */
    MachineAccess accessFor(Machine machine);

    /** Image support, where the cloud has it. */
    Optional<ImageSupport> images();

    /** Finding and removing what a namespace left behind, where the cloud supports it. */
    default Optional<GarbageCollection> garbage() {
        return Optional.empty();
    }

    /**
     * Results delivered by the boxes themselves to the cloud's storage (with mail), where the cloud has storage; the
     * render cache then lives there too.
     */
    default Optional<io.cgrender.core.delivery.ResultDelivery> delivery() {
        return Optional.empty();
    }

    /**
     * How long a launch or a tag change may take to become visible to every caller of this cloud (and how far the
     * callers' clocks may disagree): a creator checks for older claims once more this long after its launch. Zero
     * where every read sees every earlier write and all callers share one clock.
     */
    default Duration consistencyWindow() {
        return Duration.ZERO;
    }

    /** The keys registered in this cloud's namespace ({@code cgrender register-key}), where the cloud keeps them. */
    default Optional<KeyRegistry> keys() {
        return Optional.empty();
    }

    /** The agents of this namespace's boxes, where the cloud has a channel to them. */
    default Optional<BoxAgents> agents() {
        return Optional.empty();
    }

    /** Adopting machines cgrender did not launch, where the cloud supports it. */
    default Optional<MachineAdoption> adoption() {
        return Optional.empty();
    }

    /** What this cloud's machines cost, where the cloud knows (the local cloud: nothing). */
    default Optional<io.cgrender.core.price.Pricing> pricing() {
        return Optional.empty();
    }

    @Override
    default void close() {
    }
}
