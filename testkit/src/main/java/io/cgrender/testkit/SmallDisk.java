package io.cgrender.testkit;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A small file system (tmpfs) mounted on a directory, for tests of what happens when a disk fills up. Mounting needs
 * root, which CI has: there a test that cannot mount fails with the reason; elsewhere it is skipped.
 */
public final class SmallDisk implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;

    private SmallDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code megabytes} MB on {@code dir}, which is created if missing (and must be empty). */
    public static SmallDisk mount(Path dir, int megabytes) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        OsCommand.Result r = OsCommand.run(TIMEOUT, "mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m,mode=0755",
                "cgrender-test", dir.toString());
        if (r.exitCode() != 0) {
            Requirement.require(false, "cannot mount a small tmpfs on " + dir + " (needs root): "
                    + r.stderr().strip());
        }
        return new SmallDisk(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Unmounts it (lazily, should a process still use it); its content is gone. */
    @Override
    public void close() {
        OsCommand.run(TIMEOUT, "umount", "-l", dir.toString()).requireSuccess();
    }
}
