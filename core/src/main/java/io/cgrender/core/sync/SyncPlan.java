package io.cgrender.core.sync;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What one sync has to do, decided from the files wanted, the box's manifest and its listing. First: which entries
 * of the directory go (anything not wanted, or not a regular file where a file is wanted) and which files must be
 * hashed on the box (their size is right but the manifest does not describe them as they are now). Then, with those
 * hashes: which files travel, and what the manifest says afterwards.
 */
final class SyncPlan {

    private final Map<String, FileHashes.Hash> wanted;
    private final Manifest manifest;
    private final Map<String, BoxListing.File> listing;
    private final List<String> removals = new ArrayList<>();
    private final List<String> suspects = new ArrayList<>();

    /** @param wanted remote path → the local file's hash */
    SyncPlan(Map<String, FileHashes.Hash> wanted, Manifest manifest, Map<String, BoxListing.File> listing) {
        this.wanted = wanted;
        this.manifest = manifest;
        this.listing = listing;
        listing.forEach((path, file) -> {
            FileHashes.Hash want = wanted.get(path);
            if (want == null || !file.regular()) {
                removals.add(path);
            } else if (!describedByManifest(path, file) && file.size() == want.size()) {
                suspects.add(path);
            }
        });
    }

    /** Entries of the directory to remove before anything is sent. */
    List<String> removals() {
        return removals;
    }

    /** The directories that removing {@link #removals()} may leave empty. */
    Set<String> parentsOfRemovals() {
        Set<String> parents = new TreeSet<>();
        for (String path : removals) {
            int slash = path.lastIndexOf('/');
            if (slash > 0) {
                parents.add(path.substring(0, slash));
            }
        }
        return parents;
    }

    /** Files whose content the box must hash: nothing says what they hold now. */
    List<String> suspects() {
        return suspects;
    }

    /**
     * The outcome, given the box's hashes of the {@link #suspects()} and the modification time a file will have on
     * the box once sent.
     */
    Outcome decide(Map<String, String> suspectHashes, Function<String, BoxTime> timeOnceSent) {
        List<String> uploads = new ArrayList<>();
        Map<String, Manifest.Entry> entries = new LinkedHashMap<>();
        int unchanged = 0;
        for (Map.Entry<String, FileHashes.Hash> w : wanted.entrySet()) {
            String path = w.getKey();
            FileHashes.Hash want = w.getValue();
            BoxListing.File onBox = listing.get(path);
            String boxHash = onBox == null || !onBox.regular() ? null
                    : describedByManifest(path, onBox) ? manifest.entries().get(path).sha256()
                    : suspectHashes.get(path);
            if (want.sha256().equals(boxHash)) {
                unchanged++;
                entries.put(path, describedByManifest(path, onBox) ? manifest.entries().get(path)
                        : new Manifest.Entry(boxHash, onBox.size(), Optional.of(onBox.modified())));
            } else {
                uploads.add(path);
                entries.put(path, new Manifest.Entry(want.sha256(), want.size(),
                        Optional.of(timeOnceSent.apply(path))));
            }
        }
        return new Outcome(uploads, unchanged, entries);
    }

    /**
     * What a sync does: the files to send, how many were already there, and the manifest afterwards (an entry per
     * wanted file).
     */
    record Outcome(List<String> uploads, int unchanged, Map<String, Manifest.Entry> entries) {
    }

    private boolean describedByManifest(String path, BoxListing.File file) {
        Manifest.Entry entry = manifest.entries().get(path);
        return entry != null && entry.describes(file);
    }
}
