package io.cgrender.core.cloud;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.ns.Namespace;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What to launch.
 *
 * @param namespace       the namespace the machine belongs to
 * @param role            the box role
 * @param machine         what the box needs of a machine (OS, size, recommended instance type)
 * @param tags            tags to put on the machine at creation ({@link io.cgrender.core.ns.Tags})
 * @param authorizedKey   the namespace's public key in OpenSSH format; the only key the machine accepts
 * @param idleTimeout     the machine ends itself after this long without sessions or jobs
 * @param maxLifetime     the machine ends itself this long after launch, whatever it is doing (unless {@code expires}
 *                        is false); an extension ({@code extend}) moves its end to at most this long from then
 * @param orphanTimeout   the machine ends itself when it has been this long in a leased stage (launching, setting
 *                        up, imaging) with its creator's {@link io.cgrender.core.ns.Tags#LEASE} lapsed
 * @param image           launch from this image instead of the base OS (setup already done)
 * @param instanceType    overrides {@link MachineSpec#recommendedInstanceType()}
 * @param spot            ask for spot capacity where the cloud has it
 * @param expires         false for a machine with no expiry ({@code create --no-expiry}): it has no max lifetime
 *                        ({@code tags} then hold no {@link io.cgrender.core.ns.Tags#EXPIRES_AT}), and its idle timer
 *                        alone ends it
 */
public record LaunchSpec(Namespace namespace, String role, MachineSpec machine, Map<String, String> tags,
                         String authorizedKey, Duration idleTimeout, Duration maxLifetime, Duration orphanTimeout,
                         Optional<String> image, Optional<String> instanceType, boolean spot, boolean expires) {

    /** The default orphan timeout, {@code cgrender.box.orphan-timeout}'s default. */
    public static final Duration DEFAULT_ORPHAN_TIMEOUT = Duration.ofMinutes(10);

    public LaunchSpec {
        tags = Map.copyOf(tags);
    }

    /** Expiring after {@code maxLifetime} (plugin API 1.1). */
    public LaunchSpec(Namespace namespace, String role, MachineSpec machine, Map<String, String> tags,
                      String authorizedKey, Duration idleTimeout, Duration maxLifetime, Duration orphanTimeout,
                      Optional<String> image, Optional<String> instanceType, boolean spot) {
        this(namespace, role, machine, tags, authorizedKey, idleTimeout, maxLifetime, orphanTimeout, image,
                instanceType, spot, true);
    }

    /** With the default orphan timeout, expiring after {@code maxLifetime} (plugin API 1.0). */
    public LaunchSpec(Namespace namespace, String role, MachineSpec machine, Map<String, String> tags,
                      String authorizedKey, Duration idleTimeout, Duration maxLifetime, Optional<String> image,
                      Optional<String> instanceType, boolean spot) {
        this(namespace, role, machine, tags, authorizedKey, idleTimeout, maxLifetime, DEFAULT_ORPHAN_TIMEOUT, image,
                instanceType, spot, true);
    }
}
