package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.LockFile;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ui.Progress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The SSH key a namespace's boxes accept: an ed25519 key generated on this client the first time it is needed and
 * kept in {@code $XDG_CONFIG_HOME/cgrender/keys/<encoded namespace>} (mode 0600). The private key never leaves
 * the client; clouds receive only {@link #publicKeyLine()}.
 *
 * @param privateKeyFile for system {@code ssh -i}
 */
public record NamespaceKey(Path privateKeyFile, KeyPair keyPair) {

    /** How long a process waits for another one that is making or repairing the key at the same moment. */
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);

    /** {@link #loadOrCreate(Path, Namespace, Progress)} without progress lines. */
    public static NamespaceKey loadOrCreate(Path keysDir, Namespace namespace) {
        return loadOrCreate(keysDir, namespace, Progress.NONE);
    }

    /**
     * Loads the namespace's key, generating it on first use. Processes that do this at once get one key: the key is
     * made under a lock file ({@code <key>.lock}), so the first makes it and the others read it. The {@code .pub}
     * beside it is made (again) whenever it is missing or holds another key, so the system {@code ssh} never offers a
     * public key that does not belong to the private one.
     */
    public static NamespaceKey loadOrCreate(Path keysDir, Namespace namespace, Progress progress) {
        Path file = keysDir.resolve(namespace.encoded());
        String comment = "cgrender " + namespace;
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(keysDir);
                Files.setPosixFilePermissions(keysDir, PosixFilePermissions.fromString("rwx------"));
                underLock(file, progress, () -> {
                    if (!Files.exists(file)) {
                        KeyFiles.write(KeyFiles.generateEd25519(), file, comment);
                    }
                });
            }
            checkPermissions(file);
            KeyPair pair = KeyFiles.read(file);
            if (!KeyFiles.hasPublicHalf(file, pair)) {
                underLock(file, progress, () -> {
                    if (!KeyFiles.hasPublicHalf(file, pair)) {
                        KeyFiles.writePublic(pair, file, comment);
                    }
                });
            }
            return new NamespaceKey(file, pair);
        } catch (IOException e) {
            throw new CgrenderException("cannot load or create the SSH key " + file + ": " + e.getMessage(), e);
        }
    }

    private interface KeyWork {
        void run() throws IOException;
    }

    private static void underLock(Path file, Progress progress, KeyWork work) throws IOException {
        LockFile.holding(file.resolveSibling(file.getFileName() + ".lock"), LOCK_TIMEOUT, progress, () -> {
            work.run();
            return null;
        });
    }

    public String publicKeyLine() {
        return KeyFiles.publicKeyLine(keyPair.getPublic());
    }

    public HostKeyFingerprint fingerprint() {
        return KeyFiles.fingerprint(keyPair.getPublic());
    }

    private static void checkPermissions(Path file) throws IOException {
        Optional<String> problem = permissionProblem(file);
        if (problem.isPresent()) {
            throw new CgrenderException(problem.get()).fix("chmod 600 " + Shell.quote(file.toString()));
        }
    }

    /**
     * Why the key file {@code file} may not be used as it is, if it may not: anyone but its owner may read, write or
     * run it (OpenSSH refuses such a key too).
     */
    public static Optional<String> permissionProblem(Path file) {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (IOException e) {
            return Optional.of("cannot read the mode of the SSH key " + file + ": " + e.getMessage());
        }
        for (PosixFilePermission p : perms) {
            if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE) {
                return Optional.of("the SSH key " + file + " must be readable and writable by its owner only (mode "
                        + PosixFilePermissions.toString(perms) + ")");
            }
        }
        return Optional.empty();
    }
}
