package io.cgrender.local.host;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.LockFile;
import io.cgrender.core.UsageException;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.keys.PublicKeyFile;
import io.cgrender.core.keys.RegisteredKey;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ui.Progress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys registered in one namespace of the local cloud:
 * {@code $XDG_CONFIG_HOME/cgrender/namespaces/<encoded namespace>/keys/NAME.key}, one small properties file per key
 * ({@code name}, {@code type}, {@code fingerprint}, {@code added-at}, {@code public-key}), mode 0600 in 0700
 * directories. Every change happens under {@code keys.lock} (so two clients registering at once never both take a
 * name) and replaces or removes one file atomically, so readers — clients listing, box agents syncing — never lock and
 * never see half a key.
 */
public final class LocalKeyStore implements KeyRegistry {

    private static final String SUFFIX = ".key";
    private static final String COMMENT = "cgrender registered key; changed only under keys.lock";
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;

    /** The store in {@code dir} (a namespace's {@code keys/} directory). */
    public LocalKeyStore(Path dir) {
        this.dir = dir;
    }

    /** The store of {@code namespace} below {@code configDir} ({@code $XDG_CONFIG_HOME/cgrender}). */
    public static LocalKeyStore of(Path configDir, Namespace namespace) {
        return new LocalKeyStore(configDir.resolve("namespaces").resolve(namespace.encoded()).resolve("keys"));
    }

    public Path dir() {
        return dir;
    }

    @Override
    public RegisteredKey register(String name, String publicKeyLine) {
        PublicKeyFile.requireName(name);
        PublicKeyFile key = PublicKeyFile.parse(publicKeyLine, "the key of " + name);
        try {
            makePrivateDir(dir.getParent().getParent());
            makePrivateDir(dir.getParent());
            makePrivateDir(dir);
            return LockFile.holding(dir.resolve("keys.lock"), LOCK_TIMEOUT, Progress.NONE, () -> {
                for (RegisteredKey existing : list()) {
                    if (existing.name().equals(name)) {
                        throw new UsageException("a key named " + name + " is registered already in this namespace ("
                                + existing.fingerprint() + "); remove it first to register another key as " + name)
                                .fix("cgrender remove-key " + name);
                    }
                    if (existing.fingerprint().equals(key.fingerprint())) {
                        throw new UsageException("this key (" + key.fingerprint() + ") is registered already, as "
                                + existing.name()).see("cgrender list-keys");
                    }
                }
                RegisteredKey added = new RegisteredKey(name, key.type(), key.fingerprint(),
                        Instant.now().truncatedTo(ChronoUnit.SECONDS), key.line());
                PropertiesFile.write(file(name), Map.of("name", added.name(), "type", added.type(),
                        "fingerprint", added.fingerprint(), "added-at", added.addedAt().toString(),
                        "public-key", added.publicKeyLine()), COMMENT);
                return added;
            });
        } catch (IOException e) {
            throw new CgrenderException("cannot register the key in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<RegisteredKey> list() {
        List<RegisteredKey> keys = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return keys;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                read(file).ifPresent(keys::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the registered keys in " + dir + ": " + e.getMessage(), e);
        }
        keys.sort(Comparator.comparing(RegisteredKey::name));
        return keys;
    }

    @Override
    public boolean remove(String name) {
        if (!PublicKeyFile.NAME.matcher(name).matches() || !Files.isDirectory(dir)) {
            return false;
        }
        try {
            return LockFile.holding(dir.resolve("keys.lock"), LOCK_TIMEOUT, Progress.NONE,
                    () -> Files.deleteIfExists(file(name)));
        } catch (IOException e) {
            throw new CgrenderException("cannot remove the key " + name + " from " + dir + ": " + e.getMessage(), e);
        }
    }

    private Path file(String name) {
        return dir.resolve(name + SUFFIX);
    }

    /**
     * The key in {@code file}, checked again as {@code register-key} checks it; empty for a file that is not one (a
     * hand-edited or foreign file is never authorized).
     */
    private static Optional<RegisteredKey> read(Path file) throws IOException {
        Optional<Map<String, String>> p = PropertiesFile.read(file);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        try {
            String name = p.get().get("name");
            PublicKeyFile key = PublicKeyFile.parse(p.get().getOrDefault("public-key", ""), file.toString());
            if (name == null || !file.getFileName().toString().equals(name + SUFFIX)) {
                return Optional.empty();
            }
            return Optional.of(new RegisteredKey(name, key.type(), key.fingerprint(),
                    Instant.parse(p.get().get("added-at")), key.line()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void makePrivateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
