package io.cgrender.core.ssh;

import io.cgrender.core.UsageException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Optional;

/**
 * A private key file of the user's own, such as the PEM file of the EC2 key pair an instance was launched with
 * ({@code create --instance-id ID --identity FILE}). It is read where it is, only to log in: never copied, never
 * uploaded, never written to a log (messages name its path and fingerprint only). Like the namespace key it must be
 * readable by its owner only, as OpenSSH requires too.
 *
 * @param file    where it is, absolute
 * @param keyPair what it holds
 */
public record UserIdentity(Path file, KeyPair keyPair) {

    /**
     * Reads {@code file}: an unencrypted private key in OpenSSH format or PEM (RSA, ECDSA, ed25519), as
     * {@code ssh-keygen} writes them and EC2 hands out key pairs.
     *
     * @param from where the path came from, for messages ({@code --identity}, a configuration key)
     * @throws UsageException if it is missing, readable by others than its owner, or not such a key
     */
    public static UserIdentity load(Path file, String from) {
        Path absolute = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            throw new UsageException("the private key " + absolute + " (" + from + ") does not exist or is not a"
                    + " file");
        }
        String head = head(absolute);
        if (head.startsWith("ssh-") || head.startsWith("ecdsa-") || head.startsWith("sk-")) {
            throw new UsageException("cannot use " + absolute + " (" + from + ") to log in: it is a public key; give"
                    + " the private key file (the one without .pub)");
        }
        Optional<String> loose = NamespaceKey.permissionProblem(absolute);
        if (loose.isPresent()) {
            throw (UsageException) new UsageException(loose.get() + " (" + from + "); cgrender does not use a key"
                    + " others can read, as ssh does not").fix("chmod 600 " + Shell.quote(absolute.toString()));
        }
        try {
            return new UserIdentity(absolute, KeyFiles.read(absolute));
        } catch (IOException | RuntimeException e) {
            String why = head.contains("ENCRYPTED") || String.valueOf(e.getMessage())
                    .toLowerCase(java.util.Locale.ROOT).contains("password") ? "it is encrypted with a passphrase,"
                    + " which cgrender cannot ask for" : "it is not an unencrypted private key in OpenSSH or PEM format";
            throw new UsageException("cannot use " + absolute + " (" + from + ") to log in: " + why);
        }
    }

    public HostKeyFingerprint fingerprint() {
        return KeyFiles.fingerprint(keyPair.getPublic());
    }

    private static String head(Path file) {
        try (var lines = Files.lines(file)) {
            return lines.limit(3).reduce("", (a, b) -> a + b + "\n").strip();
        } catch (IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }

    @Override
    public String toString() {
        return file + " (" + fingerprint() + ")";
    }
}
