package io.cgrender.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny container image made without a registry (none is reachable from tests): a root file system of a statically
 * linked busybox and a link per applet, tarred for {@code docker import} on a box. Tests that use it are skipped (on
 * CI they fail: {@link Requirement}) where busybox-static is missing; {@code ./scripts/test} installs it.
 */
public final class BusyboxImage {

    public static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final Duration TOOL = Duration.ofSeconds(60);

    private BusyboxImage() {
    }

    /** Skips the calling test (fails it on CI), with the reason, unless a statically linked busybox is installed. */
    public static void require() {
        Requirement.require(Files.isExecutable(BUSYBOX), BUSYBOX + " is not installed (Debian package busybox-static;"
                + " ./scripts/test installs it)");
        Requirement.require(OsCommand.run(TOOL, "ldd", BUSYBOX.toString()).exitCode() != 0, BUSYBOX
                + " is linked dynamically, and an imported image has no libraries (install busybox-static)");
    }

    /** A name for the image, unique to this run: {@code cgrender-test/busybox:<nanos>}. */
    public static String uniqueName() {
        return "cgrender-test/busybox:" + Long.toHexString(System.nanoTime());
    }

    /**
     * Writes {@code busybox-rootfs.tar} into {@code dir}: {@code /bin/busybox}, a link in {@code /bin} per applet,
     * and an empty {@code /tmp}. Returns its path.
     */
    public static Path rootFsTarball(Path dir) {
        require();
        try {
            Path root = Files.createDirectories(dir.resolve("busybox-rootfs"));
            Path bin = Files.createDirectories(root.resolve("bin"));
            Files.createDirectories(root.resolve("tmp"));
            Files.copy(BUSYBOX, bin.resolve("busybox"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            List<String> applets = new ArrayList<>();
            OsCommand.run(TOOL, BUSYBOX.toString(), "--list").requireSuccess().stdout().lines()
                    .map(String::strip).filter(a -> !a.isEmpty() && !a.equals("busybox")).forEach(applets::add);
            for (String applet : applets) {
                Path link = bin.resolve(applet);
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, Path.of("busybox"));
                }
            }
            Path tarball = dir.resolve("busybox-rootfs.tar");
            OsCommand.run(TOOL, "tar", "-C", root.toString(), "-cf", tarball.toString(), ".").requireSuccess();
            return tarball;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the busybox root file system in " + dir, e);
        }
    }
}
