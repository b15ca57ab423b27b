package io.cgrender.core.sync;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Heartbeat;
import io.cgrender.core.ui.Progress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Mirrors a set of files into a directory on a box, sending only what changed, and gives a job its own copy of it.
 * <p>
 * The directory is the upload cache of one model or work directory, shared by every job that uses it; each sync
 * holds it under a lock on the box ({@link LockedDirectory}) from the first look to the job's copy, so concurrent
 * syncs of one directory take turns, and one that is killed releases the lock. The box keeps a content-hash
 * {@link Manifest} in the directory; this client caches the manifest it last wrote, keyed by its SHA-256, so it
 * travels only when someone else changed it. Each sync also lists the directory's sizes and modification times on the
 * box, in the same command: a file changed or deleted behind cgrender's back no longer matches the manifest and is
 * hashed on the box (only if its size still matches) or sent again; a file that does not belong is removed. Files
 * are replaced by new ones (uploads write a temporary file and rename it), never rewritten, so a job's copy of the
 * directory, made of hard links, never changes under the job.
 */
public final class FileSync {

    static final String MANIFEST = Manifest.FILE;
    private static final HexFormat HEX = HexFormat.of();
    private static final String MANIFEST_MARK = "=== manifest ";
    private static final String LISTING_MARK = "\n=== listing\n";

    /**
     * A job's own copy of the synced directory, made under the same lock right after the sync.
     *
     * @param dir    where (relative to the box's home, or absolute); replaced if it exists
     * @param linked hard links (cheap; for jobs that only read their inputs) or real copies (for commands that may
     *               write to them, which must not change the files other jobs share)
     */
    public record Snapshot(String dir, boolean linked) {
        public static Snapshot linked(String dir) {
            return new Snapshot(dir, true);
        }

        public static Snapshot copied(String dir) {
            return new Snapshot(dir, false);
        }
    }

    private final Path cacheDir;
    private final FileHashes hashes;

    /**
     * @param cacheDir where this client remembers the boxes' manifests, e.g. {@code $XDG_STATE_HOME/cgrender/sync}
     * @param hashes   the process's file hashes (shared with whoever else hashes the same files)
     */
    public FileSync(Path cacheDir, FileHashes hashes) {
        this.cacheDir = cacheDir;
        this.hashes = hashes;
    }

    /** Makes {@code remoteDir} (relative to the login home, or absolute) hold exactly {@code files}. */
    public SyncResult sync(RemoteHost host, String remoteDir, List<SyncFile> files, Duration timeout) {
        return sync(host, remoteDir, files, Optional.empty(), timeout, Progress.NONE);
    }

    /**
     * Makes {@code remoteDir} (relative to the login home, or absolute) hold exactly {@code files}, then copies it to
     * {@code snapshot}, if given. Waits for another sync of the same directory to end, at most {@code timeout}.
     */
    public SyncResult sync(RemoteHost host, String remoteDir, List<SyncFile> files, Optional<Snapshot> snapshot,
                           Duration timeout, Progress progress) {
        Map<String, Path> locals = new LinkedHashMap<>();
        Map<String, FileHashes.Hash> wanted = new LinkedHashMap<>();
        for (SyncFile f : files) {
            if (locals.put(f.remote(), f.local()) != null) {
                throw new IllegalArgumentException("two files map to " + f.remote());
            }
            if (f.remote().equals(MANIFEST)) {
                throw new IllegalArgumentException("cannot sync " + f.local() + ": the name " + MANIFEST
                        + " is reserved for the sync manifest");
            }
            wanted.put(f.remote(), hashes.of(f.local()));
        }
        Path cache = cacheFile(host.id(), remoteDir);
        Optional<String> cached = cachedManifest(cache);
        try (LockedDirectory dir = LockedDirectory.open(host, remoteDir,
                openingScript(cached.map(FileSync::digest).orElse("none")), timeout, progress)) {
            String opening = dir.opening();
            int listingAt = opening.lastIndexOf(LISTING_MARK);
            if (!opening.startsWith(MANIFEST_MARK) || listingAt < 0) {
                throw new CgrenderException("unexpected answer from " + host.id() + " while syncing " + remoteDir);
            }
            String manifestText = manifestText(opening, listingAt, cached);
            Manifest manifest = Manifest.parse(manifestText);
            SyncPlan plan = new SyncPlan(wanted, manifest,
                    BoxListing.parse(opening.substring(listingAt + LISTING_MARK.length())));
            Map<String, String> boxHashes = plan.removals().isEmpty() && plan.suspects().isEmpty() ? Map.of()
                    : parseHashes(dir.run(removeAndHash(plan)));
            SyncPlan.Outcome outcome = plan.decide(boxHashes, path -> modifiedSeconds(locals.get(path)));
            long bytes = upload(host, dir, remoteDir, outcome.uploads(), locals, wanted, timeout, progress);
            ManifestUpdate update = ManifestUpdate.of(manifestText, manifest, outcome.entries(), wanted.size());
            StringBuilder last = new StringBuilder(update.script());
            snapshot.ifPresent(s -> last.append(snapshotScript(s)));
            dir.finish(last.isEmpty() ? Optional.empty() : Optional.of(last.toString()));
            remember(cache, update.newText());
            return new SyncResult(outcome.uploads().size(), bytes + update.bytes(), outcome.unchanged(),
                    plan.removals().size());
        }
    }

    /**
     * Prints the manifest's digest, the manifest itself unless it is the one this client has ({@code cached}), and
     * the directory's listing.
     */
    private static String openingScript(String cachedDigest) {
        return "m=$(sha256sum " + MANIFEST + " 2>/dev/null) && m=${m%% *} || m=none\n"
                + "echo \"" + MANIFEST_MARK + "$m\"\n"
                + "[ \"$m\" = " + cachedDigest + " ] || [ \"$m\" = none ] || cat " + MANIFEST + "\n"
                + "printf '" + LISTING_MARK.replace("\n", "\\n") + "'\n"
                + "find . -path ./" + MANIFEST + " -prune -o ! -type d -printf '" + BoxListing.FIND_PRINTF + "'";
    }

    /** The box's manifest: from the opening's output, or this client's copy when the digests say it is the same. */
    private static String manifestText(String opening, int listingAt, Optional<String> cached) {
        int headEnd = opening.indexOf('\n');
        String boxDigest = opening.substring(MANIFEST_MARK.length(), headEnd).strip();
        if (boxDigest.equals("none")) {
            return "";
        }
        if (cached.isPresent() && digest(cached.get()).equals(boxDigest)) {
            return cached.get();
        }
        return opening.substring(headEnd + 1, listingAt);
    }

    /** Removes what does not belong (and the directories that held only that), then hashes the suspects. */
    private static String removeAndHash(SyncPlan plan) {
        StringBuilder s = new StringBuilder("{ true");
        if (!plan.removals().isEmpty()) {
            s.append("; ").append(nulSeparated(plan.removals())).append(" | xargs -0r rm -rf --");
            // -p climbs the relative path only, never above the directory; one that still holds files stays.
            s.append("; ").append(nulSeparated(plan.parentsOfRemovals()))
                    .append(" | xargs -0r rmdir -p --ignore-fail-on-non-empty -- 2>/dev/null; true");
        }
        if (!plan.suspects().isEmpty()) {
            s.append("; ").append(nulSeparated(plan.suspects())).append(" | xargs -0r sha256sum --");
        }
        return s.append("; }").toString();
    }

    private static String nulSeparated(Iterable<String> paths) {
        StringBuilder s = new StringBuilder("printf '%s\\0'");
        paths.forEach(p -> s.append(' ').append(Shell.quote(p)));
        return s.toString();
    }

    /** sha256sum's output: path → hash. */
    private static Map<String, String> parseHashes(String output) {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            if (line.length() > 66 && line.charAt(64) == ' ') {
                hashes.put(line.substring(66), line.substring(0, 64));
            }
        }
        return hashes;
    }

    /**
     * Sends {@code uploads} into {@code remoteDir}, with a progress line while it lasts; returns the bytes sent. A
     * failure because the box's disk is full says so.
     */
    private static long upload(RemoteHost host, LockedDirectory dir, String remoteDir, List<String> uploads,
                               Map<String, Path> locals, Map<String, FileHashes.Hash> wanted, Duration timeout,
                               Progress progress) {
        Map<String, Path> files = new LinkedHashMap<>();
        long bytes = 0;
        for (String path : uploads) {
            files.put(remoteDir + "/" + path, locals.get(path));
            bytes += wanted.get(path).size();
        }
        if (files.isEmpty()) {
            return 0;
        }
        try (Heartbeat ignored = Heartbeat.start(progress, "uploading " + files.size() + " file(s), " + bytes
                + " bytes, to " + host.id(), timeout, () -> "")) {
            host.uploadAll(files);
        } catch (CgrenderException e) {
            throw diskFull(host, dir, remoteDir, bytes).map(full -> {
                full.addSuppressed(e);
                return full;
            }).orElse(e);
        }
        return bytes;
    }

    /** Why an upload of {@code bytes} failed, if it is that the box has not enough room for them. */
    private static Optional<CgrenderException> diskFull(RemoteHost host, LockedDirectory dir, String remoteDir,
                                                        long bytes) {
        try {
            long freeKb = Long.parseLong(dir.run("df -Pk . | awk 'NR == 2 { print $4 }'").strip());
            if (freeKb * 1024 >= bytes) {
                return Optional.empty();
            }
            return Optional.of(new CgrenderException("cannot upload to " + host.id() + ":" + remoteDir + ": the"
                    + " box's disk is full (" + freeKb + " KB free, " + (bytes + 1023) / 1024 + " KB to send); make"
                    + " room on the box or use one with a bigger disk"));
        } catch (RuntimeException unknown) {
            return Optional.empty();
        }
    }

    private static String snapshotScript(Snapshot snapshot) {
        String target = snapshot.dir().startsWith("/") ? Shell.quote(snapshot.dir())
                : "\"$HOME\"/" + Shell.quote(snapshot.dir());
        return "s=" + target + "; rm -rf -- \"$s\" && mkdir -p -- \"${s%/*}\" && cp -" + (snapshot.linked() ? "al"
                : "a --reflink=auto") + " -- . \"$s\" && rm -f -- \"$s/" + MANIFEST + "\" || { rm -rf -- \"$s\";"
                + " false; }\n";
    }

    private static BoxTime modifiedSeconds(Path file) {
        try {
            return BoxTime.ofSeconds(Files.getLastModifiedTime(file).to(TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new CgrenderException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private Path cacheFile(String hostId, String remoteDir) {
        return cacheDir.resolve(hostId).resolve(HEX.formatHex(FileHashes.sha256().digest(
                remoteDir.getBytes(StandardCharsets.UTF_8))));
    }

    private static Optional<String> cachedManifest(Path cache) {
        try {
            return Files.exists(cache) ? Optional.of(Files.readString(cache)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void remember(Path cache, String manifestText) {
        try {
            Files.createDirectories(cache.getParent());
            Path tmp = Files.createTempFile(cache.getParent(), "manifest", ".tmp");
            Files.writeString(tmp, manifestText);
            Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // only a cache: the next sync reads the manifest from the box instead
        }
    }

    private static String digest(String text) {
        return HEX.formatHex(FileHashes.sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
