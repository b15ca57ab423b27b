package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ns.Namespace;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.Set;

/**
 * The SSH key a namespace's boxes accept: an ed25519 key generated on this client the first time it is needed and
 * kept in {@code $XDG_CONFIG_HOME/cgrender/keys/<encoded namespace>} (mode 0600). The private key never leaves
 * the client; clouds receive only {@link #publicKeyLine()}.
 *
 * @param privateKeyFile for system {@code ssh -i}
 */
public record NamespaceKey(Path privateKeyFile, KeyPair keyPair) {

    /** Loads the namespace's key, generating it on first use. Safe when two processes race to create it. */
    public static NamespaceKey loadOrCreate(Path keysDir, Namespace namespace) {
        Path file = keysDir.resolve(namespace.encoded());
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(keysDir);
                Files.setPosixFilePermissions(keysDir, PosixFilePermissions.fromString("rwx------"));
                try {
                    KeyFiles.write(KeyFiles.generateEd25519(), file, "cgrender " + namespace);
                } catch (FileAlreadyExistsException raced) {
                    // another process created it first: use theirs
                }
            }
            checkPermissions(file);
            return new NamespaceKey(file, KeyFiles.read(file));
        } catch (IOException e) {
            throw new CgrenderException("cannot load or create the SSH key " + file + ": " + e.getMessage(), e);
        }
    }

    public String publicKeyLine() {
        return KeyFiles.publicKeyLine(keyPair.getPublic());
    }

    public HostKeyFingerprint fingerprint() {
        return KeyFiles.fingerprint(keyPair.getPublic());
    }

    private static void checkPermissions(Path file) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        for (PosixFilePermission p : perms) {
            if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE) {
                throw new CgrenderException("the SSH key " + file + " must be readable and writable by its owner only (mode "
                        + PosixFilePermissions.toString(perms) + "); fix it with: chmod 600 "
                        + file);
            }
        }
    }
}
