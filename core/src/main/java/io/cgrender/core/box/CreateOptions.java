package io.cgrender.core.box;

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
 */
public record CreateOptions(int count, boolean keepOnError, Optional<String> instanceType, Optional<Boolean> spot,
                            Optional<String> image, boolean saveImage) {

    public CreateOptions {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, not " + count);
        }
    }

    public static CreateOptions defaults() {
        return new CreateOptions(1, false, Optional.empty(), Optional.empty(), Optional.empty(), false);
    }

    public CreateOptions withCount(int n) {
        return new CreateOptions(n, keepOnError, instanceType, spot, image, saveImage);
    }

    public CreateOptions withKeepOnError(boolean keep) {
        return new CreateOptions(count, keep, instanceType, spot, image, saveImage);
    }

    /** Spot capacity (true) or on-demand (false), whatever the role's defaults say. */
    public CreateOptions withSpot(boolean spotCapacity) {
        return new CreateOptions(count, keepOnError, instanceType, Optional.of(spotCapacity), image, saveImage);
    }

    public CreateOptions withImage(String imageId) {
        return new CreateOptions(count, keepOnError, instanceType, spot, Optional.of(imageId), saveImage);
    }
}
