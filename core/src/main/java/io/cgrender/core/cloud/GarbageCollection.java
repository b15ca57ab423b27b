package io.cgrender.core.cloud;

import io.cgrender.core.ns.Namespace;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Optional capability of a cloud ({@link Cloud#garbage()}): finding what a namespace left behind, by tag, and removing
 * it. Finding never changes anything.
 */
public interface GarbageCollection {

    /**
     * What {@code namespace} left behind: boxes past their {@code cgrender:expires-at} (or dead), images of roles
     * that are not in {@code knownRoles}, and cloud resources no box uses any more (key pairs, security groups).
     */
    List<Garbage> find(Namespace namespace, Set<String> knownRoles, Instant now);

    /** Removes one item {@link #find} returned. Removing something already gone is not an error. */
    void remove(Garbage garbage);
}
