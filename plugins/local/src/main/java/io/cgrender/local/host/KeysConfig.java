package io.cgrender.local.host;

import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.keys.RegisteredKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a local box needs to know, all its life, to keep its {@code authorized_keys} in step with its namespace:
 * written once at launch into {@code keys.properties} of the box directory, read by the box's agent. The agent takes
 * keys only from the store named here, never from a message.
 *
 * @param store        the namespace's key store ({@link LocalKeyStore})
 * @param selection    which registered keys the box authorizes ({@code cgrender.keys} at launch)
 * @param namespaceKey the namespace's own public key line, always authorized
 */
public record KeysConfig(Path store, AuthorizedKeys selection, String namespaceKey) {

    private static final String COMMENT = "cgrender local box: where its agent reads the keys it authorizes";

    /** The lines the box's {@code authorized_keys} should hold now. */
    public List<String> authorizedLines() {
        List<RegisteredKey> registered = new LocalKeyStore(store).list();
        return selection.lines(namespaceKey, registered);
    }

    /** Writes {@link #authorizedLines()} to {@code file} in one step (0600, temporary file, then rename). */
    public List<String> writeAuthorizedKeys(Path file) throws IOException {
        List<String> lines = authorizedLines();
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, String.join("\n", lines) + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return lines;
    }

    public void write(Path file) throws IOException {
        String names = selection.names().map(n -> String.join(",", n)).orElse(AuthorizedKeys.ALL);
        PropertiesFile.write(file, Map.of("store", store.toAbsolutePath().toString(), "selection", names,
                "namespace-key", namespaceKey.strip()), COMMENT);
    }

    /** The configuration in {@code file}; empty if there is none (a box launched before boxes had agents). */
    public static Optional<KeysConfig> read(Path file) throws IOException {
        Optional<Map<String, String>> p = PropertiesFile.read(file);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        String selection = p.get().getOrDefault("selection", AuthorizedKeys.ALL);
        Set<String> names = new LinkedHashSet<>(Arrays.asList(selection.split(",")));
        names.remove("");
        return Optional.of(new KeysConfig(Path.of(required(p.get(), "store", file)),
                new AuthorizedKeys(names.contains(AuthorizedKeys.ALL) ? Optional.empty() : Optional.of(names)),
                required(p.get(), "namespace-key", file)));
    }

    private static String required(Map<String, String> p, String key, Path file) throws IOException {
        String value = p.get(key);
        if (value == null || value.isBlank()) {
            throw new IOException(file + " has no " + key);
        }
        return value;
    }
}
