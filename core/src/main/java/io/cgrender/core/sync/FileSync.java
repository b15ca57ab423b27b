package io.cgrender.core.sync;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Heartbeat;
import io.cgrender.core.ui.Progress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * {@link Manifest} beside the directory; this client caches the manifest it last wrote, keyed by its SHA-256, so it
 * travels only when someone else changed it. Each sync also lists the directory's sizes and modification times on the
 * box, in the same command: a file changed or deleted behind cgrender's back no longer matches the manifest and is
 * hashed on the box (only if its size still matches) or sent again; a file that does not belong is removed. Files
 * are replaced by new ones (uploads write a temporary file and rename it), never rewritten, so a job's copy of the
 * directory, made of hard links, never changes under the job.
 * <p>
 * A caller can have work of its own done in the same command ({@link SyncRider}): a render learns the box's facts
 * before the sync and starts its job right after it, so that a warm render's upload and start cost one command.
 */
public final class FileSync {

    private static final String SNAPSHOT_MARK = "=== snapshot ";
    private static final String FIRST_MARK = "=== first ";
    /** Set in the box's shell once the sync is complete; the job's copy stays only then. */
    private static final String COMMITTED = "cgrender_sync_done";

    /**
     * A job's own copy of the synced directory, made under the same lock right after the sync.
     *
     * @param dir    where (relative to the box's home, or absolute); replaced if it exists
     * @param linked hard links (cheap; for jobs that only read their inputs) or real copies (for commands that may
     *               write to them, which must not change the files other jobs share)
     * @param owner  {@code dir} or a directory holding it that exists for this copy's job alone (its job directory):
     *               removed when the sync does not complete (its client is killed, the box's disk is full), unless
     *               something besides the copy was put in it meanwhile
     */
    public record Snapshot(String dir, boolean linked, String owner) {
        public Snapshot {
            if (!(dir.equals(owner) || dir.startsWith(owner + "/"))) {
                throw new IllegalArgumentException(owner + " does not hold " + dir);
            }
        }

        public static Snapshot linked(String dir, String owner) {
            return new Snapshot(dir, true, owner);
        }

        public static Snapshot copied(String dir, String owner) {
            return new Snapshot(dir, false, owner);
        }
    }

    private final ManifestCache cache;
    private final FileHashes hashes;

    /**
     * @param cacheDir where this client remembers the boxes' manifests, e.g. {@code $XDG_STATE_HOME/cgrender/sync}
     * @param hashes   the process's file hashes (shared with whoever else hashes the same files)
     */
    public FileSync(Path cacheDir, FileHashes hashes) {
        this.cache = new ManifestCache(cacheDir);
        this.hashes = hashes;
    }

    /** The file hashes this sync uses (and shares with whoever else hashes the same files). */
    public FileHashes hashes() {
        return hashes;
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
        return sync(host, remoteDir, files, snapshot, timeout, progress, SyncRider.NONE);
    }

    /**
     * Syncs as {@link #sync(RemoteHost, String, List, Optional, Duration, Progress)} does, with {@code rider}'s
     * scripts in the same command on the box: its first before the directory is read, its last once the sync is
     * complete.
     */
    public SyncResult sync(RemoteHost host, String remoteDir, List<SyncFile> files, Optional<Snapshot> snapshot,
                           Duration timeout, Progress progress, SyncRider rider) {
        Map<String, Path> locals = new LinkedHashMap<>();
        Map<String, FileHashes.Hash> wanted = new LinkedHashMap<>();
        for (SyncFile f : files) {
            if (locals.put(f.remote(), f.local()) != null) {
                throw new IllegalArgumentException("two files map to " + f.remote());
            }
            wanted.put(f.remote(), hashes.of(f.local()));
        }
        String manifestFile = boxPath(Manifest.of(remoteDir.replaceAll("/+$", "")));
        String first = rider.first();
        try (LockedDirectory dir = LockedDirectory.open(host, remoteDir, openingScript(manifestFile, snapshot, first),
                timeout, progress)) {
            Opening box = Opening.parse(dir.opening(), !first.isEmpty());
            box.first().ifPresent(ran -> rider.firstDone(ran.exitCode(), ran.printed()));
            String manifestText = box.manifestListed().isEmpty() ? "" : cache.get(host.id(), remoteDir)
                    .filter(c -> c.listed().equals(box.manifestListed().get())).map(ManifestCache.Copy::text)
                    .orElseGet(() -> readManifest(dir, manifestFile));
            Manifest manifest = Manifest.parse(manifestText);
            SyncPlan plan = new SyncPlan(wanted, manifest, box.listing());
            Map<String, String> boxHashes = plan.removals().isEmpty() && plan.suspects().isEmpty() ? Map.of()
                    : parseHashes(dir.run(removeAndHash(plan)));
            SyncPlan.Outcome outcome = plan.decide(boxHashes, path -> modifiedSeconds(locals.get(path)));
            long bytes = upload(host, dir, remoteDir, outcome.uploads(), locals, wanted, timeout, progress);
            ManifestUpdate update = ManifestUpdate.of(manifestFile, manifestText, manifest, outcome.entries(),
                    wanted.size());
            StringBuilder last = new StringBuilder(update.script());
            if (!box.copied() || !plan.removals().isEmpty() || !outcome.uploads().isEmpty()) {
                snapshot.ifPresent(s -> last.append(snapshotScript(s)));
            }
            if (!update.script().isEmpty()) {
                last.append("find ").append(manifestFile).append(" -maxdepth 0 -printf '%s %T@\\n'\n");
            }
            String listedAfter = last.isEmpty() ? "" : dir.run(last.toString()).strip();
            Optional<String> listed = update.script().isEmpty() ? box.manifestListed() : Optional.of(listedAfter);
            listed.ifPresent(l -> cache.put(host.id(), remoteDir, new ManifestCache.Copy(l, update.newText())));
            SyncResult result = new SyncResult(outcome.uploads().size(), bytes + update.bytes(), outcome.unchanged(),
                    plan.removals().size(), outcome.uploads());
            String then = rider.last();
            if (then.isEmpty()) {
                dir.end(COMMITTED + "=1");
            } else {
                // In a subshell of the home directory without the lock's descriptor, which nothing it starts keeps.
                LockedDirectory.Ran ran;
                try {
                    ran = dir.attempt(COMMITTED + "=1\n( cd \"$HOME\" && {\n" + then + "\n} ) 9<&-");
                } catch (RuntimeException e) {
                    rider.lastDone(SyncRider.UNKNOWN, "");
                    throw e;
                }
                rider.lastDone(ran.exitCode(), ran.printed());
            }
            return result;
        }
    }

    /**
     * Runs a rider's {@code first} script, if any, and says how it ended; copies the directory to {@code snapshot},
     * if given, saying whether that worked; then lists the manifest (as a file with an empty path) and the directory.
     */
    private static String openingScript(String manifestFile, Optional<Snapshot> snapshot, String first) {
        return (first.isEmpty() ? "" : "( cd \"$HOME\" && {\n" + first + "\n} ) 9<&-; r=$?; echo; echo \""
                + FIRST_MARK + "$r\"\n")
                + snapshot.map(s -> discardUnlessDone(s) + "{ " + snapshotScript(s) + "}; echo \"" + SNAPSHOT_MARK
                + "$?\"\n").orElse("")
                + "find " + manifestFile + " . ! -type d -printf '" + BoxListing.FIND_PRINTF + "' 2>/dev/null; true";
    }

    /**
     * What the opening found: how a rider's first script ended, whether the job's copy was made, the manifest's
     * listing, the directory's listing.
     */
    private record Opening(Optional<LockedDirectory.Ran> first, boolean copied, Optional<String> manifestListed,
                           Map<String, BoxListing.File> listing) {

        static Opening parse(String all, boolean withFirst) {
            Optional<LockedDirectory.Ran> first = Optional.empty();
            String text = all;
            if (withFirst) {
                // The first script's output, an empty line, the mark with its exit code.
                int at = all.indexOf("\n" + FIRST_MARK);
                int end = at < 0 ? -1 : all.indexOf('\n', at + 1);
                if (end < 0) {
                    throw new CgrenderException("the box answered the sync's opening with something unexpected");
                }
                first = Optional.of(new LockedDirectory.Ran(Integer.parseInt(all.substring(at + 1
                        + FIRST_MARK.length(), end)), all.substring(0, at)));
                text = all.substring(end + 1);
            }
            boolean copied = text.startsWith(SNAPSHOT_MARK + "0\n");
            String rest = text.startsWith(SNAPSHOT_MARK) ? text.substring(text.indexOf('\n') + 1) : text;
            Optional<String> manifest = Optional.empty();
            // The manifest is find's first start point; its path relative to it is empty.
            if (rest.startsWith("f ")) {
                String line = rest.substring(0, Math.max(0, rest.indexOf('\n')));
                String[] f = line.split(" ", 4);
                if (f.length >= 3 && (f.length == 3 || f[3].isEmpty())) {
                    manifest = Optional.of(f[1] + " " + f[2]);
                    rest = rest.substring(line.length() + 1);
                }
            }
            return new Opening(first, copied, manifest, BoxListing.parse(rest));
        }
    }

    /** The manifest's text, exactly (a torn last line has no newline), read while holding the directory. */
    private static String readManifest(LockedDirectory dir, String manifestFile) {
        String text = dir.run("cat " + manifestFile + "; printf '\\n.\\n'");
        return text.substring(0, text.length() - "\n.\n".length());
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

    /**
     * An EXIT trap for the box's shell: the copy's owner goes when this client did not get to the end of the sync (it
     * was killed, the disk filled), unless something besides the copy was put in it meanwhile (its job started, should
     * this shell be killed before it read that the sync was done).
     */
    private static String discardUnlessDone(Snapshot snapshot) {
        String below = snapshot.dir().equals(snapshot.owner()) ? ""
                : snapshot.dir().substring(snapshot.owner().length() + 1).replaceAll("/.*", "");
        // The cleanup ignores SIGTERM, which the box may send the whole group as the client's session goes.
        return "cgrender_owner=" + boxPath(snapshot.owner()) + "; cgrender_copy=" + Shell.quote(below) + "\n"
                + "trap 'trap \"\" TERM HUP INT; [ -n \"${" + COMMITTED + ":-}\" ] || { [ -n \"$cgrender_copy\" ]"
                + " && [ \"$(ls -A -- \"$cgrender_owner\" 2>/dev/null)\" != \"$cgrender_copy\" ]; }"
                + " || rm -rf -- \"$cgrender_owner\"' EXIT\n";
    }

    private static String snapshotScript(Snapshot snapshot) {
        return "s=" + boxPath(snapshot.dir()) + "; { [ ! -e \"$s\" ] || rm -rf -- \"$s\"; } && mkdir -p -- \"${s%/*}\""
                + " && cp -" + (snapshot.linked() ? "al" : "a --reflink=auto") + " -- . \"$s\" || { rm -rf -- \"$s\";"
                + " false; }\n";
    }

    /** A path on the box (relative to its home, or absolute) as a shell word that works from any directory. */
    private static String boxPath(String path) {
        return path.startsWith("/") ? Shell.quote(path) : "\"$HOME\"/" + Shell.quote(path);
    }

    private static BoxTime modifiedSeconds(Path file) {
        try {
            return BoxTime.ofSeconds(Files.getLastModifiedTime(file).to(TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new CgrenderException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
