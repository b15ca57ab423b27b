package io.cgrender.core.ssh;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * An OpenSSH SHA-256 host key fingerprint, {@code SHA256:} followed by unpadded base64 of the digest of the key blob,
 * as {@code ssh-keygen -lf} and cloud-init print it. Comparison is exact (base64 is case-sensitive).
 */
public record HostKeyFingerprint(String value) {

    private static final String PREFIX = "SHA256:";

    public HostKeyFingerprint {
        if (value == null || !value.startsWith(PREFIX) || value.length() <= PREFIX.length()) {
            throw new IllegalArgumentException("not a SHA256 fingerprint: " + value);
        }
    }

    /** Parses {@code SHA256:…}, the form cloud-init prints. */
    public static HostKeyFingerprint parse(String text) {
        return new HostKeyFingerprint(text.trim());
    }

    /** The fingerprint of an OpenSSH public key line, {@code "ssh-ed25519 AAAA… [comment]"}. */
    public static HostKeyFingerprint ofPublicKeyLine(String line) {
        String[] parts = line.trim().split("\\s+");
        if (parts.length < 2 || !parts[0].toLowerCase(Locale.ROOT).matches("[a-z0-9@.-]+")) {
            throw new IllegalArgumentException("not an OpenSSH public key line: " + line);
        }
        return ofBlob(Base64.getDecoder().decode(parts[1]));
    }

    /** The fingerprint of a raw SSH public key blob (the base64-decoded middle field of a key line). */
    public static HostKeyFingerprint ofBlob(byte[] blob) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return new HostKeyFingerprint(PREFIX + Base64.getEncoder().withoutPadding().encodeToString(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
