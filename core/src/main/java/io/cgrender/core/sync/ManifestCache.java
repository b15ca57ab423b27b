package io.cgrender.core.sync;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Optional;

/**
 * This client's copies of the boxes' manifests, one file per box and directory: the manifest's text, and its size and
 * modification time as the box listed them when it was last read or written. While the box lists the same, the copy
 * is used and the manifest does not travel.
 */
final class ManifestCache {

    /** A copy: {@code listed} is the manifest's {@code "SIZE TIME"} on the box. */
    record Copy(String listed, String text) {
    }

    private final Path dir;

    /** @param dir e.g. {@code $XDG_STATE_HOME/cgrender/sync} */
    ManifestCache(Path dir) {
        this.dir = dir;
    }

    Optional<Copy> get(String hostId, String remoteDir) {
        try {
            Path file = file(hostId, remoteDir);
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            String content = Files.readString(file);
            int newline = content.indexOf('\n');
            return newline < 0 ? Optional.empty()
                    : Optional.of(new Copy(content.substring(0, newline), content.substring(newline + 1)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void put(String hostId, String remoteDir, Copy copy) {
        try {
            Path file = file(hostId, remoteDir);
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "manifest", ".tmp");
            Files.writeString(tmp, copy.listed() + "\n" + copy.text());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // only a cache: the next sync reads the manifest from the box instead
        }
    }

    private Path file(String hostId, String remoteDir) {
        return dir.resolve(hostId).resolve(HexFormat.of().formatHex(FileHashes.sha256().digest(
                remoteDir.getBytes(StandardCharsets.UTF_8))));
    }
}
