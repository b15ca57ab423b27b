package io.cgrender.core.render;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where finished render results are kept, by cache key: a directory on the local cloud, a bucket on a cloud that has
 * one. A result is stored whole or not at all.
 */
public interface ResultStore {

    /**
     * Copies the files stored under {@code key} to {@code destinations} (file name in the result → local file), each
     * written atomically. Returns false, writing nothing, when the key is not stored or lacks one of the names.
     */
    boolean fetch(String key, Map<String, Path> destinations);

    /** Stores {@code files} (file name in the result → local file) under {@code key}, replacing what was there. */
    void put(String key, Map<String, Path> files);

    /** Where results are kept, for messages. */
    String location();
}
