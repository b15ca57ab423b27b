package io.cgrender.core.cloud;

import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of one machine as its cloud describes it. Immutable: ask the cloud again for news.
 *
 * @param id         the cloud's id ({@code l-…} on the local cloud, {@code i-…} on EC2); also the host-key alias
 * @param state      the cloud's view, {@link MachineState#DEAD} where the machine should run but does not
 * @param tags       the cgrender tag schema ({@link Tags}) plus anything else the cloud reports
 * @param launchedAt when it was launched (ordinals count in this order)
 * @param address    {@code host:port} a user would connect to, if it has one now
 */
public record Machine(String id, MachineState state, Map<String, String> tags, Instant launchedAt,
                      Optional<String> address) {

    public Machine {
        tags = Map.copyOf(tags);
    }

    public String role() {
        return tags.getOrDefault(Tags.ROLE, "");
    }

    public Namespace namespace() {
        return Namespace.parse(tags.get(Tags.NAMESPACE), null);
    }

    public Optional<Tags.Stage> stage() {
        return Optional.ofNullable(Tags.Stage.fromTag(tags.get(Tags.STAGE)));
    }

    public Machine withState(MachineState newState) {
        return new Machine(id, newState, tags, launchedAt, address);
    }
}
