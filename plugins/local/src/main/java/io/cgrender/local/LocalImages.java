package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Progress;
import io.cgrender.local.host.BoxDir;
import io.cgrender.local.host.BoxState;
import io.cgrender.local.host.FileTrees;
import io.cgrender.local.host.PropertiesFile;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Images of local boxes: a copy of a box's home plus tags, in {@code $XDG_DATA_HOME/cgrender/local/images/<id>/}
 * ({@code image.properties} and {@code home/}). An image appears whole or not at all: it is assembled in a
 * temporary directory and renamed into place.
 * <p>
 * Only the home is saved: a local box is this machine, so what setup installed system-wide (apt packages) stays
 * installed anyway. What belongs to the imaged box rather than to its setup is left out: job records
 * ({@code .cgrender/jobs}), job uploads ({@code .cgrender/work}) and the after-job file. The box's expiry, idle timer,
 * keys and agent inbox live beside its home, not in it ({@link BoxDir}), so a box launched from an image starts with
 * its own. The copy is quick (the home of a set-up box, without its work) and made while the box is not in use: a
 * bake runs before the box is handed out, under its creator's lease.
 */
final class LocalImages implements ImageSupport {

    static final Pattern ID = Pattern.compile("limg-[0-9a-f]{12}");
    /** What belongs to the box, not to its setup: its jobs, their uploads, and what to do after a job. */
    private static final Set<Path> NOT_SAVED = Set.of(Path.of(RemoteJobs.JOBS_DIR), Path.of(RemoteJobs.WORK_ROOT),
            Path.of(RemoteJobs.AFTER_JOB_FILE));
    private static final String TAG_PREFIX = "tag.";

    private final LocalCloud cloud;
    private final Path imagesDir;

    LocalImages(LocalCloud cloud, Path imagesDir) {
        this.cloud = cloud;
        this.imagesDir = imagesDir;
    }

    /** An image with where it lives and which namespace it belongs to. */
    record Stored(Image image, String namespace, Path dir) {
        Path home() {
            return dir.resolve("home");
        }
    }

    @Override
    public Image create(Machine machine, Map<String, String> tags, Duration timeout, Progress progress) {
        BoxDir box = cloud.requireBox(machine.id());
        BoxState state = cloud.requireState(box);
        String namespace = tags.getOrDefault(Tags.NAMESPACE, state.namespace());
        String role = tags.getOrDefault(Tags.ROLE, state.role());
        int generation = tags.containsKey(Tags.GENERATION) ? parseGeneration(tags.get(Tags.GENERATION))
                : list(Namespace.parse(namespace, null), role).stream().mapToInt(Image::generation).max().orElse(0) + 1;
        Map<String, String> allTags = new LinkedHashMap<>(tags);
        allTags.put(Tags.NAMESPACE, namespace);
        allTags.put(Tags.ROLE, role);
        allTags.put(Tags.GENERATION, Integer.toString(generation));

        String id = LocalCloud.randomId("limg-");
        Instant now = Instant.now();
        Path tmp = imagesDir.resolve(".tmp-" + id);
        try {
            Files.createDirectories(tmp);
            progress.step("saving the home of " + machine.id() + " as image " + id);
            FileTrees.copy(box.home(), tmp.resolve("home"), NOT_SAVED);
            Map<String, String> record = new LinkedHashMap<>();
            record.put("id", id);
            record.put("namespace", namespace);
            record.put("role", role);
            record.put("generation", Integer.toString(generation));
            record.put("created-at", now.toString());
            record.put("source-box", machine.id());
            allTags.forEach((k, v) -> record.put(TAG_PREFIX + k, v));
            PropertiesFile.write(tmp.resolve("image.properties"), record, "cgrender local image");
            Files.move(tmp, imagesDir.resolve(id), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new CgrenderException("cannot save local box " + machine.id() + " as an image: " + e.getMessage()
                    + " (check free space in " + imagesDir + ")", e);
        }
        return new Image(id, role, generation, now, allTags);
    }

    @Override
    public List<Image> list(Namespace namespace, String roleOrNull) {
        List<Image> images = new ArrayList<>();
        for (Stored stored : all()) {
            if (stored.namespace().equals(namespace.toString())
                    && (roleOrNull == null || stored.image().role().equals(roleOrNull))) {
                images.add(stored.image());
            }
        }
        images.sort(Comparator.comparingInt(Image::generation).reversed()
                .thenComparing(Comparator.comparing(Image::createdAt).reversed()));
        return images;
    }

    @Override
    public void delete(String imageId) {
        requireId(imageId);
        try {
            FileTrees.delete(imagesDir.resolve(imageId));
        } catch (IOException e) {
            throw new CgrenderException("cannot delete local image " + imageId + ": " + e.getMessage()
                    + "; remove it by hand", e).fix("rm -rf " + Shell.quote(imagesDir.resolve(imageId).toString()));
        }
    }

    /** The image {@code imageId} of {@code namespace}, for launching from it. */
    Stored require(String imageId, Namespace namespace) {
        requireId(imageId);
        return read(imagesDir.resolve(imageId))
                .filter(s -> s.namespace().equals(namespace.toString()))
                .orElseThrow(() -> new CgrenderException("no local image " + imageId + " in namespace " + namespace)
                        .see("cgrender list-images"));
    }

    private List<Stored> all() {
        List<Stored> all = new ArrayList<>();
        if (!Files.isDirectory(imagesDir)) {
            return all;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(imagesDir, "limg-*")) {
            for (Path dir : dirs) {
                read(dir).ifPresent(all::add);
            }
        } catch (IOException e) {
            throw new CgrenderException("cannot list local images in " + imagesDir + ": " + e.getMessage(), e);
        }
        return all;
    }

    private static Optional<Stored> read(Path dir) {
        Optional<Map<String, String>> record;
        try {
            record = PropertiesFile.read(dir.resolve("image.properties"));
        } catch (IOException e) {
            return Optional.empty();
        }
        return record.flatMap(p -> {
            try {
                Map<String, String> tags = new LinkedHashMap<>();
                p.forEach((k, v) -> {
                    if (k.startsWith(TAG_PREFIX)) {
                        tags.put(k.substring(TAG_PREFIX.length()), v);
                    }
                });
                Image image = new Image(p.get("id"), p.get("role"), Integer.parseInt(p.get("generation")),
                        Instant.parse(p.get("created-at")), tags);
                return Optional.of(new Stored(image, p.get("namespace"), dir));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    private static void requireId(String imageId) {
        if (imageId == null || !ID.matcher(imageId).matches()) {
            throw new CgrenderException("'" + imageId + "' is not a local image id (they look like"
                    + " limg-0123456789ab)").see("cgrender list-images");
        }
    }

    private static int parseGeneration(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new CgrenderException("image tag " + Tags.GENERATION + " must be a whole number, not '" + text + "'");
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            // leave the temporary directory; it is ignored by list and named in no image
        }
    }
}
