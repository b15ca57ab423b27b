package io.cgrender.core.cloud;

import java.time.Instant;
import java.util.Map;

/**
 * A saved box, from which new boxes of its role launch with setup already done.
 *
 * @param generation counts up per role and namespace: the newest image has the highest
 */
public record Image(String id, String role, int generation, Instant createdAt, Map<String, String> tags) {

    public Image {
        tags = Map.copyOf(tags);
    }
}
