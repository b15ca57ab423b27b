package io.cgrender.core.box;

import java.time.Duration;
import java.util.Optional;

/**
 * Options of {@code create}.
 *
 * @param count        how many boxes to create (all or none: a failure removes every box this call created)
 * @param keepOnError  leave what was created on failure and print the ids instead of cleaning up
 * @param instanceType overrides the role's recommended instance type
 * @param spot         ask for spot capacity where the cloud has it (true), or on-demand capacity (false); empty: as
 *                     the role's defaults say ({@code cgrender.roles.ROLE.spot}), else on-demand
 * @param image        launch from this image (setup is skipped)
 * @param saveImage    save an image of each box once it is set up
 * @param maxLifetime  each new box's max lifetime instead of {@code cgrender.box.max-lifetime}
 *                     ({@code create --lifetime})
 * @param noExpiry     new boxes have no max lifetime: their idle timer alone ends them ({@code create --no-expiry})
 */
public record CreateOptions(int count, boolean keepOnError, Optional<String> instanceType, Optional<Boolean> spot,
                            Optional<String> image, boolean saveImage, Optional<Duration> maxLifetime,
                            boolean noExpiry) {

    public CreateOptions {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, not " + count);
        }
        if (noExpiry && maxLifetime.isPresent()) {
            throw new IllegalArgumentException("a box with no expiry has no max lifetime either");
        }
        if (maxLifetime.isPresent() && (maxLifetime.get().isZero() || maxLifetime.get().isNegative())) {
            throw new IllegalArgumentException("max lifetime must be positive, not " + maxLifetime.get());
        }
    }

    /** With the configured max lifetime (plugin API 1.0). */
    public CreateOptions(int count, boolean keepOnError, Optional<String> instanceType, Optional<Boolean> spot,
                         Optional<String> image, boolean saveImage) {
        this(count, keepOnError, instanceType, spot, image, saveImage, Optional.empty(), false);
    }

    public static CreateOptions defaults() {
        return new CreateOptions(1, false, Optional.empty(), Optional.empty(), Optional.empty(), false);
    }

    /** New boxes end themselves {@code lifetime} after their launch at the latest. */
    public CreateOptions withMaxLifetime(Duration lifetime) {
        return new CreateOptions(count, keepOnError, instanceType, spot, image, saveImage, Optional.of(lifetime),
                false);
    }

    /** New boxes have no max lifetime: their idle timer alone ends them. */
    public CreateOptions withNoExpiry() {
        return new CreateOptions(count, keepOnError, instanceType, spot, image, saveImage, Optional.empty(), true);
    }

    /** Whether these options say anything of a new box's lifetime. */
    public boolean setsLifetime() {
        return noExpiry || maxLifetime.isPresent();
    }

    public CreateOptions withCount(int n) {
        return new CreateOptions(n, keepOnError, instanceType, spot, image, saveImage, maxLifetime, noExpiry);
    }

    public CreateOptions withKeepOnError(boolean keep) {
        return new CreateOptions(count, keep, instanceType, spot, image, saveImage, maxLifetime, noExpiry);
    }

    /** Spot capacity (true) or on-demand (false), whatever the role's defaults say. */
    public CreateOptions withSpot(boolean spotCapacity) {
        return new CreateOptions(count, keepOnError, instanceType, Optional.of(spotCapacity), image, saveImage,
                maxLifetime, noExpiry);
    }

    public CreateOptions withImage(String imageId) {
        return new CreateOptions(count, keepOnError, instanceType, spot, Optional.of(imageId), saveImage,
                maxLifetime, noExpiry);
    }
}
