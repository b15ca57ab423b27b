package io.cgrender.core.cloud;

import java.time.Instant;
import java.util.Map;

/**
 * A saved box, from which new boxes of its role launch with setup already done.
 *
 * @param generation counts up per role and namespace: the newest image has the highest
 * @param state      whether the cloud has finished making it; boxes launch only from {@link State#AVAILABLE} ones
 */
public record Image(String id, String role, int generation, Instant createdAt, Map<String, String> tags,
                    State state) {

    /** How far the cloud is with an image. */
    public enum State {
        /** Being made: not usable yet. */
        PENDING,
        /** Made: boxes can launch from it. */
        AVAILABLE,
        /** The cloud could not make it: never used, deleted by the next bake of its role. */
        FAILED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Image {
        tags = Map.copyOf(tags);
    }

    /** An image that is {@link State#AVAILABLE}. */
    public Image(String id, String role, int generation, Instant createdAt, Map<String, String> tags) {
        this(id, role, generation, createdAt, tags, State.AVAILABLE);
    }

    public boolean available() {
        return state == State.AVAILABLE;
    }
}
