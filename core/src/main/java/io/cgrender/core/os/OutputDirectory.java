package io.cgrender.core.os;

import io.cgrender.core.UsageException;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A local directory results are written into (render results, the files a run job brings back). */
public final class OutputDirectory {

    private OutputDirectory() {
    }

    /**
     * Refuses an output directory that cannot be made or written, before anything is launched. It is tried for real:
     * the missing directories are made, a file is written in it and removed, and the directories made are removed
     * again (whoever writes the results makes them); permissions alone do not tell, e.g. for root.
     */
    public static void requireWritable(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        List<Path> made = new ArrayList<>();
        try {
            Path existing = absolute;
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                made.add(0, existing);
                existing = existing.getParent();
            }
            for (Path d : made) {
                Files.createDirectory(d);
            }
            Files.delete(Files.createTempFile(absolute, ".cgrender-", ".probe"));
        } catch (IOException | SecurityException e) {
            throw new UsageException("output directory " + dir + " cannot be written (" + reason(e)
                    + "); choose another with -o DIR");
        } finally {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    Files.deleteIfExists(made.get(i));
                } catch (IOException ignored) {
                    // a directory left empty is harmless; the results are written there anyway
                }
            }
        }
    }

    private static String reason(Exception e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        if (e instanceof FileSystemException) {
            return e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                    .toLowerCase();
        }
        return String.valueOf(e.getMessage());
    }
}
