package io.cgrender.core.cloud;

import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ui.Progress;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Optional capability of a cloud ({@link Cloud#images()}): saving boxes as images and launching from them. */
public interface ImageSupport {

    /** Saves {@code machine} as an image carrying {@code tags}; returns once the image is usable. */
    Image create(Machine machine, Map<String, String> tags, Duration timeout, Progress progress);

    /**
     * Starts saving {@code machine} as an image carrying {@code tags} and returns as soon as the image has an id: it
     * may still be {@link Image.State#PENDING}; {@link #list} shows when it is available (or failed). Clouds whose
     * images are quick to make may make it whole, as {@link #create} does.
     */
    default Image start(Machine machine, Map<String, String> tags, Duration timeout, Progress progress) {
        return create(machine, tags, timeout, progress);
    }

    /** The images of {@code namespace}, optionally of one role, newest generation first, with their state. */
    List<Image> list(Namespace namespace, String roleOrNull);

    /** Deletes an image and whatever storage backs it. Deleting an image that is already gone is not an error. */
    void delete(String imageId);
}
