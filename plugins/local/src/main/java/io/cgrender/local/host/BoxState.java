package io.cgrender.local.host;

import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.os.ProcessIdentity;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the state file of a box records. Immutable; changes go through {@link StateFile#update}.
 *
 * @param state       as last written: PENDING (launched or restarted, host not listening yet), RUNNING (host
 *                    listening on {@code port}), STOPPING, STOPPED or TERMINATED. Whether the host still lives is
 *                    not recorded here; readers check {@code host}.
 * @param host        the box host process, once spawned
 * @param port        the SSH port while RUNNING, else 0
 * @param idleTimeout the host ends the box after this long without sessions or running jobs
 * @param expiresAt   the host ends the box at this instant, whatever it is doing
 * @param orphanTimeout the host ends the box when it has been this long in a leased stage with its creator's lease
 *                    lapsed ({@link io.cgrender.core.claim.Lease})
 * @param image       the image the box was launched from, if any
 */
public record BoxState(String id, String namespace, String role, MachineState state, Instant launchedAt,
                       Optional<ProcessIdentity> host, int port, Duration idleTimeout, Instant expiresAt,
                       Duration orphanTimeout, Optional<String> image, Map<String, String> tags) {

    private static final String TAG_PREFIX = "tag.";

    public BoxState {
        tags = Map.copyOf(tags);
    }

    public BoxState withState(MachineState newState) {
        return new BoxState(id, namespace, role, newState, launchedAt, host, port, idleTimeout, expiresAt,
                orphanTimeout, image, tags);
    }

    /** RUNNING on {@code newPort}, served by {@code process}. */
    public BoxState running(ProcessIdentity process, int newPort) {
        return new BoxState(id, namespace, role, MachineState.RUNNING, launchedAt, Optional.of(process), newPort,
                idleTimeout, expiresAt, orphanTimeout, image, tags);
    }

    /** PENDING, served by {@code process} once it listens. */
    public BoxState pending(ProcessIdentity process) {
        return new BoxState(id, namespace, role, MachineState.PENDING, launchedAt, Optional.of(process), 0,
                idleTimeout, expiresAt, orphanTimeout, image, tags);
    }

    /** No host process and no port, in {@code newState} (STOPPED or TERMINATED). */
    public BoxState withoutHost(MachineState newState) {
        return new BoxState(id, namespace, role, newState, launchedAt, Optional.empty(), 0, idleTimeout, expiresAt,
                orphanTimeout, image, tags);
    }

    /** Ending itself at {@code newExpiry} instead (an agent's {@code extend}); its expiry tag says so too. */
    public BoxState withExpiresAt(Instant newExpiry) {
        Map<String, String> merged = new LinkedHashMap<>(tags);
        merged.put(Tags.EXPIRES_AT, newExpiry.toString());
        return new BoxState(id, namespace, role, state, launchedAt, host, port, idleTimeout, newExpiry,
                orphanTimeout, image, merged);
    }

    public BoxState withTags(Map<String, String> added) {
        Map<String, String> merged = new LinkedHashMap<>(tags);
        merged.putAll(added);
        return new BoxState(id, namespace, role, state, launchedAt, host, port, idleTimeout, expiresAt,
                orphanTimeout, image, merged);
    }

    /** Whether {@code process} is the host this state names. */
    public boolean isServedBy(ProcessIdentity process) {
        return host.isPresent() && host.get().pid() == process.pid();
    }

    Map<String, String> toProperties() {
        Map<String, String> p = new TreeMap<>();
        p.put("id", id);
        p.put("namespace", namespace);
        p.put("role", role);
        p.put("state", state.name());
        p.put("launched-at", launchedAt.toString());
        host.ifPresent(h -> {
            p.put("pid", Long.toString(h.pid()));
            p.put("pid-started-at", h.startedAt().toString());
        });
        if (port > 0) {
            p.put("port", Integer.toString(port));
        }
        p.put("idle-timeout", idleTimeout.toString());
        p.put("expires-at", expiresAt.toString());
        p.put("orphan-timeout", orphanTimeout.toString());
        image.ifPresent(i -> p.put("image", i));
        tags.forEach((k, v) -> p.put(TAG_PREFIX + k, v));
        return p;
    }

    static BoxState fromProperties(Map<String, String> p) {
        Map<String, String> tags = new LinkedHashMap<>();
        p.forEach((k, v) -> {
            if (k.startsWith(TAG_PREFIX)) {
                tags.put(k.substring(TAG_PREFIX.length()), v);
            }
        });
        Optional<ProcessIdentity> host = p.containsKey("pid")
                ? Optional.of(new ProcessIdentity(Long.parseLong(p.get("pid")), Instant.parse(p.get("pid-started-at"))))
                : Optional.empty();
        return new BoxState(required(p, "id"), required(p, "namespace"), required(p, "role"),
                MachineState.valueOf(required(p, "state")), Instant.parse(required(p, "launched-at")), host,
                Integer.parseInt(p.getOrDefault("port", "0")), Duration.parse(required(p, "idle-timeout")),
                Instant.parse(required(p, "expires-at")),
                Duration.parse(p.getOrDefault("orphan-timeout", LaunchSpec.DEFAULT_ORPHAN_TIMEOUT.toString())),
                Optional.ofNullable(p.get("image")), tags);
    }

    private static String required(Map<String, String> p, String key) {
        String value = p.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        return value;
    }
}
