package io.cgrender.core.ns;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The tag schema every cgrender resource carries. Tags make each resource findable by namespace and role, so
 * creates can be idempotent and {@code gc} can find orphans.
 */
public final class Tags {

    public static final String PREFIX = "cgrender:";
    public static final String NAMESPACE = PREFIX + "namespace";
    public static final String ROLE = PREFIX + "role";
    /** Image generation a box was launched from (0 for a box set up from scratch); images carry their own. */
    public static final String GENERATION = PREFIX + "generation";
    /**
     * ISO-8601 instant after which the box ends itself (its hard max lifetime) and gc may remove it, unless it is
     * {@link #KEPT}. A box launched with no expiry ({@code create --no-expiry}) has none: its idle timer alone ends it.
     * The box's agent moves it later ({@code extend}, {@code release}).
     */
    public static final String EXPIRES_AT = PREFIX + "expires-at";
    /**
     * ISO-8601 duration: the box's max lifetime as it was launched with ({@code cgrender.box.max-lifetime}, or
     * {@code create --lifetime}); an extension moves {@link #EXPIRES_AT} to at most this long from now. Absent on a box
     * with no expiry.
     */
    public static final String MAX_LIFETIME = PREFIX + "max-lifetime";
    /**
     * Written by the box's agent: the ISO-8601 instant since which the box is kept ({@code cgrender-box keep}): it ends
     * itself neither at {@link #EXPIRES_AT} nor by its idle timer, and gc leaves it, until {@code cgrender-box release}
     * empties this tag. Empty or absent: not kept. {@link #EXPIRES_AT} stays what it was before the keep.
     */
    public static final String KEPT = PREFIX + "kept";
    /** ISO-8601 duration after which a box with no SSH session and no running job ends itself. */
    public static final String IDLE_TIMEOUT = PREFIX + "idle-timeout";
    /**
     * Written by the box itself, where it can: the ISO-8601 instant since which it has had no SSH session and no
     * running job, or {@link #BUSY} while it has one. Absent where the box cannot report it.
     */
    public static final String IDLE_SINCE = PREFIX + "idle-since";
    /** The value of {@link #IDLE_SINCE} while the box has an SSH session or a running job. */
    public static final String BUSY = "busy";
    /**
     * On a box: its agent's answer to the last ping ({@link io.cgrender.core.agent.AgentCommand#ping}, {@code cgrender
     * ping BOX}), {@code <nonce> <ISO-8601 instant>}, written by the box itself.
     */
    public static final String AGENT_PONG = PREFIX + "agent-pong";
    /**
     * On a box's agent queue (EC2 SQS): whose queue it is, {@code <role id>:<instance id>} (what IAM calls the box's
     * {@code aws:userid}), so that the instance profile lets a box receive from its own queue only.
     */
    public static final String AGENT_OF = PREFIX + "agent-of";
    /** On a box's agent queue: the ARN of its subscription to the namespace's topic, removed with the queue. */
    public static final String AGENT_SUBSCRIPTION = PREFIX + "agent-subscription";
    /** Where the box is in its lifecycle: see {@link Stage}. */
    public static final String STAGE = PREFIX + "stage";
    /** The user to log in as (a box's admin user, e.g. {@code ubuntu}). */
    public static final String LOGIN_USER = PREFIX + "login-user";
    /**
     * On images: a hash of the box class (and its superclasses up to {@code Box}) that set the image up, so that an
     * image made by an older setup can be told apart.
     */
    public static final String SETUP_HASH = PREFIX + "setup-hash";
    /**
     * Who is working on a box that is not ready (launching, setting up, imaging) and until when: {@code <until>
     * <machine>/<pid>/<process start>}, renewed while that cgrender lives (see {@link io.cgrender.core.claim.Lease}).
     * A box in such a stage whose lease has lapsed is an orphan. Empty once the box is ready.
     */
    public static final String LEASE = PREFIX + "lease";
    /**
     * {@code true} on a machine cgrender adopted rather than launched (the user's own): it is never terminated by
     * cgrender's own decision, only handed back (its cgrender tags removed).
     */
    public static final String ADOPTED = PREFIX + "adopted";
    /** On a registered key (an EC2 key pair): the name it was registered under ({@code cgrender register-key}). */
    public static final String KEY_NAME = PREFIX + "key-name";
    /** On a registered key: the ISO-8601 instant it was registered. */
    public static final String KEY_ADDED_AT = PREFIX + "added-at";
    /**
     * On a registered key whose type the cloud's key store cannot hold (an ECDSA key on EC2, which imports ed25519 and
     * RSA keys only): the key's OpenSSH public line, {@code "type base64"}. Where it is present it is the key, not the
     * key pair's material.
     */
    public static final String PUBLIC_KEY = PREFIX + "public-key";
    public static final String NAME = "Name";

    private Tags() {
    }

    /** The tags a new box of {@code role} in {@code namespace} starts with, {@code lease} being its creator's. */
    public static Map<String, String> forNewBox(Namespace namespace, String role, String loginUser, int generation,
                                                Instant expiresAt, Duration idleTimeout, String lease) {
        return forNewBox(namespace, role, loginUser, generation, Optional.of(expiresAt), idleTimeout, lease);
    }

    /**
     * The tags a new box of {@code role} in {@code namespace} starts with, {@code lease} being its creator's; with no
     * {@link #EXPIRES_AT} when {@code expiresAt} is empty (a box with no expiry, which its idle timer alone ends).
     */
    public static Map<String, String> forNewBox(Namespace namespace, String role, String loginUser, int generation,
                                                Optional<Instant> expiresAt, Duration idleTimeout, String lease) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(NAME, namespace + role);
        tags.put(NAMESPACE, namespace.toString());
        tags.put(ROLE, role);
        tags.put(LOGIN_USER, loginUser);
        tags.put(GENERATION, Integer.toString(generation));
        expiresAt.ifPresent(at -> tags.put(EXPIRES_AT, at.toString()));
        tags.put(IDLE_TIMEOUT, idleTimeout.toString());
        tags.put(STAGE, Stage.LAUNCHING.tagValue());
        tags.put(LEASE, lease);
        return tags;
    }

    /** Lifecycle stages recorded in {@link #STAGE}. */
    public enum Stage {
        LAUNCHING, SETTING_UP, READY, IMAGING, FAILED;

        /** Whether someone is working on a box in this stage, under a {@link #LEASE}. */
        public boolean isLeased() {
            return this != READY;
        }

        public String tagValue() {
            return name().toLowerCase().replace('_', '-');
        }

        public static Stage fromTag(String value) {
            for (Stage s : values()) {
                if (s.tagValue().equals(value)) {
                    return s;
                }
            }
            return null;
        }
    }
}
