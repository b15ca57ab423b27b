package io.cgrender.core.keys;

import java.time.Instant;

/**
 * A public key registered in a namespace: a person or machine allowed to log in to the namespace's boxes.
 *
 * @param name          the name it was registered under ({@code [a-z0-9][a-z0-9._-]{0,62}}), unique in the namespace
 * @param type          its SSH key type, e.g. {@code ssh-ed25519}, {@code ecdsa-sha2-nistp256}, {@code ssh-rsa}
 * @param fingerprint   its OpenSSH fingerprint, {@code SHA256:…}
 * @param addedAt       when it was registered
 * @param publicKeyLine the OpenSSH public key line, as {@code authorized_keys} takes it
 */
public record RegisteredKey(String name, String type, String fingerprint, Instant addedAt, String publicKeyLine) {
}
