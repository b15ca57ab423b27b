package io.cgrender.cli;

import io.cgrender.core.image.ImagePolicy;
import picocli.CommandLine.Option;

import java.util.Map;

/**
 * {@code --fresh} of the commands that may create a box ({@code create}, {@code render}, {@code run}): a new box is
 * set up from scratch instead of launching from an image. It reaches the box as the configuration key
 * {@link ImagePolicy#USE}, the way {@code --identity} does.
 */
public final class FreshOption {

    @Option(names = "--fresh", description = "A new box is set up from scratch, even if an image of its role with the"
            + " current setup exists (cgrender.images.use = false for this command).")
    boolean fresh;

    /** The configuration the option sets. */
    public Map<String, Object> overrides() {
        return fresh ? Map.of(ImagePolicy.USE, false) : Map.of();
    }
}
