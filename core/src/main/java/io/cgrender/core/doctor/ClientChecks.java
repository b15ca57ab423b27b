package io.cgrender.core.doctor;

import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.NamespaceKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What {@code cgrender doctor} checks on this machine whatever the cloud: the Java runtime, the namespace keys, the
 * pinned host keys and the directories cgrender writes to. None of them changes anything.
 */
public final class ClientChecks {

    /** The Java feature release cgrender is built for. */
    static final int JAVA = 17;

    private ClientChecks() {
    }

    public static Check java() {
        return Check.of("java", () -> {
            Runtime.Version version = Runtime.version();
            String detail = "Java " + version + " (" + System.getProperty("java.home") + ")";
            return version.feature() >= JAVA ? CheckResult.ok(detail) : CheckResult.fail(detail + ", but cgrender"
                    + " needs Java " + JAVA + " or newer", "apt-get install -y openjdk-" + JAVA + "-jdk-headless");
        });
    }

    /**
     * The namespace keys in {@code keysDir}: each readable as a key, and readable and writable by its owner only (as
     * {@link NamespaceKey} requires before it uses one, and OpenSSH too).
     */
    public static Check keyFiles(Path keysDir) {
        return Check.of("key files", () -> {
            if (!Files.isDirectory(keysDir)) {
                return CheckResult.ok("no keys yet in " + keysDir + " (each namespace's key is made on first use)");
            }
            List<String> problems = new ArrayList<>();
            List<String> fixes = new ArrayList<>();
            List<Path> keys = keys(keysDir);
            List<String> loose = new ArrayList<>();
            for (Path key : keys) {
                NamespaceKey.permissionProblem(key).ifPresent(problem -> {
                    problems.add(problem);
                    loose.add(key.toString());
                });
            }
            if (!loose.isEmpty()) {
                fixes.add("chmod 600 " + String.join(" ", loose));
            }
            for (Path key : keys) {
                try {
                    KeyFiles.read(key);
                } catch (IOException | RuntimeException e) {
                    problems.add(key + " is not a readable private key (" + e.getMessage() + ")");
                    // a new key is made on next use; boxes made with the old one no longer let that key in
                    fixes.add("mv " + key + " " + key + ".unreadable");
                }
            }
            if (problems.isEmpty()) {
                return CheckResult.ok(keys.size() + " key(s) in " + keysDir + ", readable by their owner only");
            }
            return CheckResult.fail(String.join("; ", problems), String.join(" && ", fixes));
        });
    }

    /** Whether the pinned host keys parse, line by line, as OpenSSH would read them. */
    public static Check knownHosts(KnownHosts knownHosts) {
        return Check.of("known_hosts", () -> {
            Path file = knownHosts.file();
            if (!Files.exists(file)) {
                return CheckResult.ok("no pinned host keys yet (" + file + ")");
            }
            List<KnownHosts.BadLine> bad = knownHosts.badLines();
            if (bad.isEmpty()) {
                return CheckResult.ok(file + " parses");
            }
            List<String> what = bad.stream().map(b -> "line " + b.number() + ": " + b.problem()).toList();
            String lines = String.join(";", bad.stream().map(b -> b.number() + "d").toList());
            return CheckResult.fail(file + " has " + bad.size() + " line(s) that do not parse: "
                    + String.join("; ", what), "sed -i '" + lines + "' " + file);
        });
    }

    /**
     * Whether cgrender can write to each of {@code dirs} (by name, e.g. "config"): a file is made there and removed,
     * or, for a directory that does not exist yet, in the nearest directory above it that does (cgrender makes the
     * rest on first use).
     */
    public static Check directories(java.util.Map<String, Path> dirs) {
        return Check.of("directories", () -> {
            List<String> fine = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            List<String> fixes = new ArrayList<>();
            dirs.forEach((name, dir) -> {
                Path existing = dir;
                while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                    existing = existing.getParent();
                }
                if (existing == null || !Files.isDirectory(existing)) {
                    problems.add(name + " " + dir + ": " + (existing == null ? "no directory above it exists"
                            : existing + " is not a directory"));
                    fixes.add(existing == null ? "mkdir -p " + dir : "rm " + existing + " && mkdir -p " + dir);
                    return;
                }
                try {
                    Files.delete(Files.createTempFile(existing, ".cgrender-doctor-", ".tmp"));
                    fine.add(name + " " + dir + (existing.equals(dir) ? "" : " (made on first use)"));
                } catch (IOException | SecurityException e) {
                    problems.add(name + " " + dir + ": cannot write in " + existing + " (" + e + ")");
                    fixes.add("chown -R \"$(id -un)\" " + existing + " && chmod u+rwx " + existing);
                }
            });
            return problems.isEmpty() ? CheckResult.ok("writable: " + String.join(", ", fine))
                    : CheckResult.fail(String.join("; ", problems), String.join(" && ", fixes));
        });
    }

    /**
     * The private keys in {@code dir}: every regular file but public halves, lock files, temporary files and keys
     * moved aside as unreadable.
     */
    private static List<Path> keys(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> {
                String name = f.getFileName().toString();
                return !name.endsWith(".pub") && !name.endsWith(".lock") && !name.endsWith(".tmp")
                        && !name.endsWith(".unreadable");
            }).sorted().toList();
        } catch (IOException e) {
            throw new io.cgrender.core.CgrenderException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
