package io.cgrender.core.image;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.LockFile;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.claim.Claims;
import io.cgrender.core.claim.LeaseKeeper;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Tags;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Images as a cache of setup: a new box launches from the newest available image of its role whose
 * {@link Tags#SETUP_HASH} is the role's {@link Box#setupHash()}, and a box set up from scratch is imaged right after
 * (baked), keeping the newest {@link ImagePolicy#keep()} generations of the role.
 * <p>
 * Baking never waits for the cloud to finish an image: the image is started and {@link ImageSupport#list} shows it
 * pending until it is available. Launches use available images only; a failed one is deleted by the next bake.
 * On one machine, bakers of a role take turns at a lock next to the claim locks, so each baked image gets its own
 * generation; bakers on several machines (or a bake and an {@code image} command, which waits for the cloud and so
 * takes no lock) may give two images one generation, which {@link #NEWEST_FIRST} orders by creation time and id, so
 * that all agree on which are the newest.
 */
public final class ImageCache {

    /** Newest first: by generation, then creation time, then id. */
    public static final Comparator<Image> NEWEST_FIRST = Comparator.comparingInt(Image::generation)
            .thenComparing(Image::createdAt).thenComparing(Image::id).reversed();

    private final BoxEnvironment env;
    private final Box box;
    private final ImagePolicy policy;

    private ImageCache(BoxEnvironment env, Box box) {
        this.env = env;
        this.box = box;
        this.policy = ImagePolicy.from(env.settings());
    }

    public static ImageCache of(BoxEnvironment env, Box box) {
        return new ImageCache(env, box);
    }

    /**
     * What a new box launches from.
     *
     * @param image   the image, if one fits
     * @param message which image and that setup is skipped, or why the box is set up from scratch; empty on a cloud
     *                without images
     */
    public record Choice(Optional<Image> image, Optional<String> message) {
        /** The launch names its image itself ({@code recreate}), or the cloud has none: nothing to choose or say. */
        public static Choice explicit() {
            return new Choice(Optional.empty(), Optional.empty());
        }

        static Choice of(Image image, String message) {
            return new Choice(Optional.of(image), Optional.of(message));
        }

        static Choice fromScratch(String why) {
            return new Choice(Optional.empty(), Optional.of("setting up from scratch: " + why));
        }
    }

    /** The image a new box should launch from, if images are in use and one fits; or why none fits. */
    public Choice choose() {
        Optional<ImageSupport> support = env.cloud().images();
        if (support.isEmpty()) {
            return Choice.explicit();
        }
        if (!policy.use()) {
            return Choice.fromScratch("images are not used (--fresh or " + ImagePolicy.USE + " = false)");
        }
        List<Image> images = sorted(support.get().list(env.namespace(), box.role()));
        List<Image> available = images.stream().filter(Image::available).toList();
        Optional<Image> match = available.stream()
                .filter(i -> box.setupHash().equals(i.tags().get(Tags.SETUP_HASH)))
                .findFirst();
        if (match.isPresent()) {
            return Choice.of(match.get(), "launching from image " + match.get().id() + " (generation "
                    + match.get().generation() + "), no setup needed");
        }
        String why;
        if (available.isEmpty()) {
            why = "no image of " + box.role() + " yet" + images.stream()
                    .filter(i -> i.state() == Image.State.PENDING).findFirst()
                    .map(i -> " (image " + i.id() + " is still being made)").orElse("");
        } else {
            Image newest = available.get(0);
            why = "image " + newest.id() + " was made by another version of " + box.role() + " (setup "
                    + newest.tags().getOrDefault(Tags.SETUP_HASH, "unknown") + ", now " + box.setupHash() + ")";
        }
        return Choice.fromScratch(why);
    }

    /** Whether a box just set up from scratch is to be baked. */
    public boolean bakesAfterSetup() {
        return env.cloud().images().isPresent() && policy.bake() == ImagePolicy.Bake.AFTER_SETUP;
    }

    /**
     * Bakes {@code machine}, just set up from scratch, as the next generation of its role without waiting for the
     * cloud to finish the image, then deletes what the keep limit and failures leave over. Never fails the caller's
     * work: a bake that goes wrong is reported as a warning.
     */
    public void bake(Machine machine) {
        try {
            Image image = save(machine, false);
            env.console().status("baking image " + image.id() + " of " + machine.id() + " (" + box.role()
                    + ", generation " + image.generation() + ", " + image.state().label()
                    + "): the next new box of " + box.role() + " launches from it");
        } catch (RuntimeException e) {
            env.console().warn("could not image " + machine.id() + " after its setup (" + e.getMessage()
                    + "); the box is fine, the next new box of " + box.role() + " is set up from scratch too");
        }
    }

    /**
     * Saves {@code machine} as the next generation image of its role: waiting until the image is usable, or (when
     * baking) only until it exists. The box is tagged as being imaged, under a lease of this caller, meanwhile.
     */
    public Image save(Machine machine, boolean wait) {
        ImageSupport images = support();
        Claims claims = env.claims(box.role());
        String stage = machine.tags().getOrDefault(Tags.STAGE, Tags.Stage.READY.tagValue());
        Duration timeout = env.settings().timeout("state-change");
        env.cloud().tag(machine.id(), Map.of(Tags.STAGE, Tags.Stage.IMAGING.tagValue(), Tags.LEASE,
                claims.newLease()));
        try (LeaseKeeper ignored = claims.keep(machine.id())) {
            if (wait) {
                // Not under the bakers' lock: waiting for the cloud may take minutes, and a bake must not wait that.
                Image image = images.create(machine, tags(nextGeneration(images)), timeout, env.console().progress());
                prune(images);
                return image;
            }
            return LockFile.holding(lockFile(), timeout, env.console().progress(), () -> {
                Image image = images.start(machine, tags(nextGeneration(images)), timeout, env.console().progress());
                prune(images);
                return image;
            });
        } catch (IOException e) {
            throw new CgrenderException("cannot take the image lock " + lockFile() + ": " + e.getMessage(), e);
        } finally {
            env.cloud().tag(machine.id(), Tags.Stage.fromTag(stage) == Tags.Stage.READY ? Claims.readyTags()
                    : Map.of(Tags.STAGE, stage));
        }
    }

    private int nextGeneration(ImageSupport images) {
        return images.list(env.namespace(), box.role()).stream().mapToInt(Image::generation).max().orElse(0) + 1;
    }

    /**
     * Deletes the role's failed images and its available ones older than the newest {@link ImagePolicy#keep()};
     * pending ones are left to finish (they count once they are available).
     */
    private void prune(ImageSupport images) {
        if (policy.bake() != ImagePolicy.Bake.AFTER_SETUP) {
            return;
        }
        List<Image> doomed = new ArrayList<>();
        int kept = 0;
        for (Image image : sorted(images.list(env.namespace(), box.role()))) {
            switch (image.state()) {
                case FAILED -> doomed.add(image);
                case AVAILABLE -> {
                    if (kept++ >= policy.keep()) {
                        doomed.add(image);
                    }
                }
                case PENDING -> { }
            }
        }
        for (Image image : doomed) {
            try {
                images.delete(image.id());
                env.console().status("deleted image " + image.id() + " of " + box.role() + " (generation "
                        + image.generation() + ", " + (image.available() ? "beyond " + ImagePolicy.KEEP + " = "
                        + policy.keep() : image.state().label()) + ")");
            } catch (RuntimeException e) {
                env.console().warn("could not delete image " + image.id() + " of " + box.role() + ": "
                        + e.getMessage());
            }
        }
    }

    private Map<String, String> tags(int generation) {
        return Map.of(
                Tags.NAME, env.namespace() + box.role() + "#gen" + generation,
                Tags.NAMESPACE, env.namespace().toString(),
                Tags.ROLE, box.role(),
                Tags.GENERATION, Integer.toString(generation),
                Tags.LOGIN_USER, box.machineSpec().adminUser(),
                Tags.SETUP_HASH, box.setupHash());
    }

    private Path lockFile() {
        return env.claimLocks().resolve(env.cloud().name()).resolve(env.namespace().encoded())
                .resolve(box.role() + ".images.lock");
    }

    private ImageSupport support() {
        return env.cloud().images().orElseThrow(() -> new CgrenderException("the " + env.cloud().name()
                + " cloud has no images"));
    }

    private static List<Image> sorted(List<Image> images) {
        return images.stream().sorted(NEWEST_FIRST).toList();
    }
}
