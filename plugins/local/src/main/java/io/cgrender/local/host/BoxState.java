package io.cgrender.local.host;

import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.os.ProcessIdentity;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
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
 * @param idleTimeout the host ends the box after this long without sessions or running jobs (unless it is kept)
 * @param expiresAt   the host ends the box at this instant, whatever it is doing (unless it is kept); empty for a
 *                    box with no expiry
 * @param maxLifetime what the box was launched with: an extension moves {@code expiresAt} to at most this long from
 *                    then; empty for a box with no expiry
 * @param orphanTimeout the host ends the box when it has been this long in a leased stage with its creator's lease
 *                    lapsed ({@link io.cgrender.core.claim.Lease})
 * @param image       the image the box was launched from, if any
 * @param tags        the box's tags; {@link Tags#KEPT} non-empty while it is kept (its agent's {@code keep})
 */
public record BoxState(String id, String namespace, String role, MachineState state, Instant launchedAt,
                       Optional<ProcessIdentity> host, int port, Duration idleTimeout, Optional<Instant> expiresAt,
                       Optional<Duration> maxLifetime, Duration orphanTimeout, Optional<String> image,
                       Map<String, String> tags) {

    private static final String TAG_PREFIX = "tag.";

    public BoxState {
        tags = Map.copyOf(tags);
    }

    public BoxState withState(MachineState newState) {
        return new BoxState(id, namespace, role, newState, launchedAt, host, port, idleTimeout, expiresAt,
                maxLifetime, orphanTimeout, image, tags);
    }

    /** RUNNING on {@code newPort}, served by {@code process}. */
    public BoxState running(ProcessIdentity process, int newPort) {
        return new BoxState(id, namespace, role, MachineState.RUNNING, launchedAt, Optional.of(process), newPort,
                idleTimeout, expiresAt, maxLifetime, orphanTimeout, image, tags);
    }

    /** PENDING, served by {@code process} once it listens. */
    public BoxState pending(ProcessIdentity process) {
        return new BoxState(id, namespace, role, MachineState.PENDING, launchedAt, Optional.of(process), 0,
                idleTimeout, expiresAt, maxLifetime, orphanTimeout, image, tags);
    }

    /** No host process and no port, in {@code newState} (STOPPED or TERMINATED). */
    public BoxState withoutHost(MachineState newState) {
        return new BoxState(id, namespace, role, newState, launchedAt, Optional.empty(), 0, idleTimeout, expiresAt,
                maxLifetime, orphanTimeout, image, tags);
    }

    /** Ending itself at {@code newExpiry} instead; its expiry tag says so too. */
    public BoxState withExpiresAt(Instant newExpiry) {
        Map<String, String> merged = new LinkedHashMap<>(tags);
        merged.put(Tags.EXPIRES_AT, newExpiry.toString());
        return new BoxState(id, namespace, role, state, launchedAt, host, port, idleTimeout, Optional.of(newExpiry),
                maxLifetime, orphanTimeout, image, merged);
    }

    /** Since when the box is kept (its agent's {@code keep}): it ends itself neither at its expiry nor when idle. */
    public Optional<Instant> keptSince() {
        String kept = tags.getOrDefault(Tags.KEPT, "");
        if (kept.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(kept));
        } catch (DateTimeParseException e) {
            return Optional.of(launchedAt);
        }
    }

    /**
     * The agent's {@code extend by} at {@code now}: the expiry {@code by} later, at most the max lifetime from now,
     * never sooner than it is. Unchanged for a box with no expiry.
     */
    public BoxState extendedBy(Duration by, Instant now) {
        if (expiresAt.isEmpty()) {
            return this;
        }
        Instant wanted = expiresAt.get().plus(by);
        if (maxLifetime.isPresent() && wanted.isAfter(now.plus(maxLifetime.get()))) {
            wanted = now.plus(maxLifetime.get());
        }
        return wanted.isAfter(expiresAt.get()) ? withExpiresAt(wanted) : this;
    }

    /** The agent's {@code keep} at {@code now}; a kept box stays kept since it first was. */
    public BoxState kept(Instant now) {
        return keptSince().isPresent() ? this : withTags(Map.of(Tags.KEPT, now.toString()));
    }

    /**
     * The agent's {@code release} at {@code now}: not kept any more, the expiry it had before, but never sooner than
     * its idle timeout from now. Unchanged when it is not kept.
     */
    public BoxState released(Instant now) {
        if (keptSince().isEmpty()) {
            return this;
        }
        BoxState released = withTags(Map.of(Tags.KEPT, ""));
        Instant earliest = now.plus(idleTimeout);
        return expiresAt.isPresent() && expiresAt.get().isBefore(earliest) ? released.withExpiresAt(earliest)
                : released;
    }

    public BoxState withTags(Map<String, String> added) {
        Map<String, String> merged = new LinkedHashMap<>(tags);
        merged.putAll(added);
        return new BoxState(id, namespace, role, state, launchedAt, host, port, idleTimeout, expiresAt,
                maxLifetime, orphanTimeout, image, merged);
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
        expiresAt.ifPresent(at -> p.put("expires-at", at.toString()));
        maxLifetime.ifPresent(d -> p.put("max-lifetime", d.toString()));
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
        Instant launchedAt = Instant.parse(required(p, "launched-at"));
        Optional<Instant> expiresAt = Optional.ofNullable(p.get("expires-at")).map(Instant::parse);
        // a box launched before its max lifetime was recorded: what it had at launch
        Optional<Duration> maxLifetime = Optional.ofNullable(p.get("max-lifetime")).map(Duration::parse)
                .or(() -> expiresAt.map(at -> Duration.between(launchedAt, at)));
        Optional<ProcessIdentity> host = p.containsKey("pid")
                ? Optional.of(new ProcessIdentity(Long.parseLong(p.get("pid")), Instant.parse(p.get("pid-started-at"))))
                : Optional.empty();
        return new BoxState(required(p, "id"), required(p, "namespace"), required(p, "role"),
                MachineState.valueOf(required(p, "state")), launchedAt, host,
                Integer.parseInt(p.getOrDefault("port", "0")), Duration.parse(required(p, "idle-timeout")),
                expiresAt, maxLifetime,
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
