package io.cgrender.core.sync;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Mirrors a set of files into a directory on a box, sending only what changed.
 * <p>
 * The box keeps a content-hash manifest, {@code .cgrender-manifest}, in the directory: an append-only list of
 * {@code <sha256> <size> <path>} lines (and {@code - <path>} for removals), the last line for a path winning. This
 * client caches the manifest it last wrote, keyed by the manifest's own SHA-256, so an unchanged tree costs one
 * short command; only new or changed files travel, and the manifest grows by the changed lines only. Files that left
 * the set are removed from the box first, with the directories they leave empty. The manifest is rewritten whole once
 * it holds many stale lines.
 */
public final class FileSync {

    static final String MANIFEST = ".cgrender-manifest";
    private static final HexFormat HEX = HexFormat.of();

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

    /** An entry of the manifest: a file's content hash and size. */
    record Entry(String sha256, long size) {
    }

    /**
     * Makes {@code remoteDir} (relative to the login home, or absolute) hold exactly {@code files}.
     */
    public SyncResult sync(RemoteHost host, String remoteDir, List<SyncFile> files, Duration timeout) {
        Map<String, SyncFile> byRemote = new LinkedHashMap<>();
        Map<String, Entry> wanted = new LinkedHashMap<>();
        for (SyncFile f : files) {
            if (byRemote.put(f.remote(), f) != null) {
                throw new IllegalArgumentException("two files map to " + f.remote());
            }
            if (f.remote().equals(MANIFEST)) {
                throw new IllegalArgumentException("cannot sync " + f.local() + ": the name " + MANIFEST
                        + " is reserved for the sync manifest");
            }
            FileHashes.Hash hash = hashes.of(f.local());
            wanted.put(f.remote(), new Entry(hash.sha256(), hash.size()));
        }
        String dir = Shell.quote(remoteDir);
        String manifestDigest = exec(host, "mkdir -p " + dir + " && cd " + dir + " && { sha256sum " + MANIFEST
                + " 2>/dev/null || echo none; }", timeout).stdout().trim().split("\\s+")[0];
        Path cache = cacheFile(host.id(), remoteDir);
        String manifestText = cachedManifest(cache, manifestDigest)
                .orElseGet(() -> manifestDigest.equals("none") ? "" : exec(host, "cat " + dir + "/" + MANIFEST,
                        timeout).stdout());
        Map<String, Entry> present = parse(manifestText);

        StringBuilder delta = new StringBuilder();
        List<String> stale = new ArrayList<>();
        for (String path : present.keySet()) {
            if (!wanted.containsKey(path)) {
                stale.add(path);
                delta.append("- ").append(path).append('\n');
            }
        }
        if (!stale.isEmpty()) {
            // First, so that a file can take the place of a directory that held only stale files, and vice versa.
            removeStale(host, dir, stale, timeout);
        }
        Map<String, Path> uploads = new LinkedHashMap<>();
        long bytes = 0;
        int sent = 0;
        int unchanged = 0;
        for (Map.Entry<String, Entry> e : wanted.entrySet()) {
            if (e.getValue().equals(present.get(e.getKey()))) {
                unchanged++;
                continue;
            }
            uploads.put(remoteDir + "/" + e.getKey(), byRemote.get(e.getKey()).local());
            bytes += e.getValue().size();
            sent++;
            delta.append(e.getValue().sha256()).append(' ').append(e.getValue().size()).append(' ')
                    .append(e.getKey()).append('\n');
        }
        host.uploadAll(uploads);
        if (delta.length() > 0) {
            String newText;
            byte[] payload;
            String op;
            if (lineCount(manifestText) + lineCount(delta) > 4L * Math.max(16, wanted.size())) {
                newText = render(wanted);
                payload = newText.getBytes(StandardCharsets.UTF_8);
                op = " > ";
            } else {
                newText = manifestText + delta;
                payload = delta.toString().getBytes(StandardCharsets.UTF_8);
                op = " >> ";
            }
            ExecResult r = host.exec("cat" + op + dir + "/" + MANIFEST, timeout, new ByteArrayInputStream(payload),
                    OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
            if (!r.succeeded()) {
                throw new CgrenderException("cannot update the file manifest in " + remoteDir + " on " + host.id()
                        + " (exit " + r.exitCode() + ")");
            }
            bytes += payload.length;
            remember(cache, newText);
        } else if (!manifestDigest.equals("none")) {
            remember(cache, manifestText);
        }
        return new SyncResult(sent, bytes, unchanged, stale.size());
    }

    /** Removes {@code stale} files from {@code dir} (quoted), and the directories that held only them. */
    private static void removeStale(RemoteHost host, String dir, List<String> stale, Duration timeout) {
        List<String> rm = new ArrayList<>(List.of("rm", "-f", "--"));
        rm.addAll(stale);
        Set<String> parents = new TreeSet<>();
        for (String path : stale) {
            int slash = path.lastIndexOf('/');
            if (slash > 0) {
                parents.add(path.substring(0, slash));
            }
        }
        String command = "cd " + dir + " && " + Shell.join(rm);
        if (!parents.isEmpty()) {
            // -p climbs the relative path only, never above dir; a directory that still holds files stays.
            List<String> rmdir = new ArrayList<>(List.of("rmdir", "-p", "--ignore-fail-on-non-empty", "--"));
            rmdir.addAll(parents);
            command += " && { " + Shell.join(rmdir) + " 2>/dev/null; true; }";
        }
        exec(host, command, timeout);
    }

    private static ExecResult exec(RemoteHost host, String command, Duration timeout) {
        ExecResult r = host.exec(command, timeout);
        if (!r.succeeded()) {
            throw new CgrenderException("file sync on " + host.id() + " failed (exit " + r.exitCode() + "): "
                    + r.stderr().strip());
        }
        return r;
    }

    static Map<String, Entry> parse(String manifest) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (String line : manifest.split("\n")) {
            if (line.startsWith("- ")) {
                entries.remove(line.substring(2));
                continue;
            }
            String[] f = line.split(" ", 3);
            if (f.length == 3 && f[0].length() == 64) {
                try {
                    entries.put(f[2], new Entry(f[0], Long.parseLong(f[1])));
                } catch (NumberFormatException ignored) {
                    // a torn line from an interrupted append: the file will simply be sent again
                }
            }
        }
        return entries;
    }

    private static String render(Map<String, Entry> entries) {
        StringBuilder out = new StringBuilder();
        entries.forEach((path, e) -> out.append(e.sha256()).append(' ').append(e.size()).append(' ').append(path)
                .append('\n'));
        return out.toString();
    }

    private static long lineCount(CharSequence text) {
        return text.chars().filter(c -> c == '\n').count();
    }

    private Path cacheFile(String hostId, String remoteDir) {
        return cacheDir.resolve(hostId).resolve(HEX.formatHex(FileHashes.sha256().digest(
                remoteDir.getBytes(StandardCharsets.UTF_8))));
    }

    private static Optional<String> cachedManifest(Path cache, String remoteDigest) {
        try {
            if (!Files.exists(cache)) {
                return Optional.empty();
            }
            String text = Files.readString(cache);
            return digest(text).equals(remoteDigest) ? Optional.of(text) : Optional.empty();
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
