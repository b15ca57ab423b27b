package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.BoxLifetime;
import io.cgrender.core.claim.Orphans;
import io.cgrender.core.cloud.Garbage;
import io.cgrender.core.cloud.GarbageCollection;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Progress;
import io.cgrender.local.host.BoxDir;
import io.cgrender.local.host.FileTrees;
import io.cgrender.local.host.StateFile;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a namespace left on the local cloud: boxes past their max lifetime that still exist (a stopped or dead box
 * has no host to end it), orphans (boxes whose creator is gone while it was creating them), the hidden directories of
 * launches interrupted before their box existed, and images of roles no longer on the class path.
 */
final class LocalGarbage implements GarbageCollection {

    static final String BOX = "box";
    static final String IMAGE = "image";
    static final String INTERRUPTED = "half-made box";
    /** A launch makes its box's directory in milliseconds: one still hidden after this long was interrupted. */
    private static final Duration LAUNCH_GRACE = Duration.ofMinutes(1);

    private final LocalCloud cloud;
    private final LocalImages images;
    private final Settings settings;
    private final Path boxesDir;

    LocalGarbage(LocalCloud cloud, LocalImages images, Settings settings, Path boxesDir) {
        this.cloud = cloud;
        this.boxesDir = boxesDir;
        this.images = images;
        this.settings = settings;
    }

    @Override
    public List<Garbage> find(Namespace namespace, Set<String> knownRoles, Instant now) {
        List<Garbage> found = new ArrayList<>();
        List<Machine> boxes = cloud.describe(MachineFilter.of(namespace));
        for (Machine m : boxes) {
            String expires = m.tags().get(Tags.EXPIRES_AT);
            if (BoxLifetime.of(m).kept()) {
                continue; // kept by someone on the box: it ends when they release it, not at its old expiry
            }
            try {
                if (expires != null && Instant.parse(expires).isBefore(now)) {
                    found.add(new Garbage(BOX, m.id(), m.role() + ", " + m.state().label() + ", expired at "
                            + expires));
                }
            } catch (DateTimeParseException e) {
                found.add(new Garbage(BOX, m.id(), m.role() + ", unreadable expiry '" + expires + "'"));
            }
        }
        found.addAll(Orphans.asGarbage(boxes, now, settings, BOX,
                found.stream().map(Garbage::id).collect(Collectors.toSet())));
        for (BoxDir dir : interruptedLaunches(now.minus(LAUNCH_GRACE))) {
            StateFile.read(dir).filter(s -> s.namespace().equals(namespace.toString())).ifPresent(s -> found.add(
                    new Garbage(INTERRUPTED, dir.id(), s.role() + ", its launch was interrupted at " + s.launchedAt()
                            .truncatedTo(ChronoUnit.SECONDS) + " before the box existed")));
        }
        for (Image image : images.list(namespace, null)) {
            if (!knownRoles.contains(image.role())) {
                found.add(new Garbage(IMAGE, image.id(), "role '" + image.role() + "' is unknown here"));
            }
        }
        return found;
    }

    @Override
    public void remove(Garbage garbage) {
        switch (garbage.kind()) {
            case BOX -> cloud.terminate(garbage.id(), settings.timeout("state-change"), Progress.NONE);
            case IMAGE -> images.delete(garbage.id());
            case INTERRUPTED -> removeInterruptedLaunch(garbage.id());
            default -> throw new IllegalArgumentException("not local garbage: " + garbage);
        }
    }

    /** The box directories an interrupted launch left under their hidden name ({@link BoxDir#BUILDING}). */
    private List<BoxDir> interruptedLaunches(Instant before) {
        List<BoxDir> found = new ArrayList<>();
        if (!Files.isDirectory(boxesDir)) {
            return found;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(boxesDir, BoxDir.BUILDING + "l-*")) {
            for (Path dir : dirs) {
                if (Files.getLastModifiedTime(dir).toInstant().isBefore(before)) {
                    found.add(new BoxDir(dir));
                }
            }
        } catch (IOException e) {
            throw new CgrenderException("cannot list " + boxesDir + ": " + e.getMessage(), e);
        }
        return found;
    }

    /** Removes what {@link #interruptedLaunches} found. */
    private void removeInterruptedLaunch(String name) {
        if (!name.startsWith(BoxDir.BUILDING) || !BoxDir.ID.matcher(name.substring(BoxDir.BUILDING.length()))
                .matches()) {
            throw new CgrenderException("'" + name + "' is not an interrupted launch of the local cloud");
        }
        try {
            FileTrees.delete(boxesDir.resolve(name));
        } catch (IOException e) {
            throw new CgrenderException("cannot delete " + boxesDir.resolve(name) + ": " + e.getMessage(), e);
        }
    }
}
