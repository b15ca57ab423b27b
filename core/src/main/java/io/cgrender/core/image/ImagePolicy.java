package io.cgrender.core.image;

import io.cgrender.core.UsageException;
import io.cgrender.core.config.Settings;

/**
 * How images serve as a cache of setup ({@code cgrender.images}).
 *
 * @param use  new boxes launch from the newest image of their role whose setup hash matches ({@code use}; create,
 *             render and run {@code --fresh} turn it off for one command)
 * @param bake when to image a box: after its from-scratch setup, or only when asked ({@code image}, {@code --image})
 * @param keep how many generations of a role's images baking keeps; older ones are deleted
 */
public record ImagePolicy(boolean use, Bake bake, int keep) {

    public static final String USE = Settings.ROOT + ".images.use";
    public static final String BAKE = Settings.ROOT + ".images.bake";
    public static final String KEEP = Settings.ROOT + ".images.keep";

    /** {@code cgrender.images.bake}. */
    public enum Bake {
        MANUAL, AFTER_SETUP;

        static Bake parse(String value) {
            for (Bake b : values()) {
                if (b.name().toLowerCase().replace('_', '-').equals(value)) {
                    return b;
                }
            }
            throw new UsageException(BAKE + " must be manual or after-setup, not '" + value + "'");
        }
    }

    public static ImagePolicy from(Settings settings) {
        int keep = settings.config().getInt(KEEP);
        if (keep < 1) {
            throw new UsageException(KEEP + " must be at least 1, not " + keep);
        }
        return new ImagePolicy(settings.config().getBoolean(USE), Bake.parse(settings.string(BAKE)), keep);
    }
}
