package io.cgrender.core.render;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.os.FileTree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Results in a local directory, {@code $XDG_DATA_HOME/cgrender/results/<key>/}. A result is assembled in a temporary
 * directory and renamed into place, so a reader sees all of it or none.
 */
public final class DirectoryResultStore implements ResultStore {

    private final Path root;

    public DirectoryResultStore(Path root) {
        this.root = root;
    }

    @Override
    public boolean fetch(String key, Map<String, Path> destinations) {
        Path dir = root.resolve(key);
        for (String name : destinations.keySet()) {
            if (!Files.isRegularFile(dir.resolve(name))) {
                return false;
            }
        }
        try {
            for (Map.Entry<String, Path> e : destinations.entrySet()) {
                copyAtomically(dir.resolve(e.getKey()), e.getValue());
            }
            return true;
        } catch (IOException e) {
            throw new CgrenderException("cannot copy the stored result " + key + " from " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void put(String key, Map<String, Path> files) {
        Path dir = root.resolve(key);
        Path tmp = null;
        try {
            Files.createDirectories(root);
            tmp = Files.createTempDirectory(root, ".incoming-");
            for (Map.Entry<String, Path> e : files.entrySet()) {
                Files.copy(e.getValue(), tmp.resolve(e.getKey()), StandardCopyOption.REPLACE_EXISTING);
            }
            FileTree.delete(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CgrenderException("cannot store the result " + key + " in " + root + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    FileTree.delete(tmp);
                } catch (IOException ignored) {
                    // a leftover temporary directory is harmless
                }
            }
        }
    }

    @Override
    public String location() {
        return root.toString();
    }

    /** Copies to a temporary file beside {@code target}, then renames it: never a half-written file. */
    static void copyAtomically(Path source, Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + target.getFileName(), ".part");
        try {
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
