package io.cgrender.core.render;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ForwardingHost;
import io.cgrender.core.ssh.LoopbackBox;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.sync.FileSync;
import io.cgrender.core.ui.Progress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BoxFacts} over real SSH (the loopback box), each command with a home of the test's own and an
 * {@code openscad} that records each start: the version is asked once, and again only after the binary changed.
 */
class BoxFactsTest {

    @TempDir
    static Path classDir;
    private static LoopbackBox box;

    @TempDir
    Path dir;
    private Path home;
    private Path openscad;
    private Path starts;
    private RemoteHost host;

    @BeforeAll
    static void startBox() {
        box = LoopbackBox.start(classDir);
    }

    @AfterAll
    static void stopBox() {
        if (box != null) {
            box.close();
        }
    }

    @BeforeEach
    void fakeOpenscad() throws IOException {
        home = Files.createDirectories(dir.resolve("home"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        starts = dir.resolve("starts");
        openscad = bin.resolve("openscad");
        version("2021.01");
        host = new HomeAndPath(box.connect(), home, bin);
    }

    @Test
    void theVersionIsAskedOnceAndAgainOnlyAfterTheBinaryChanged() throws IOException {
        BoxFacts first = facts();
        assertEquals(home.toString(), first.home());
        assertEquals("OpenSCAD version 2021.01", first.openscadVersion());
        assertEquals(first, facts());
        assertEquals(1, runs(), "the second render reads the kept answer");

        version("2025.02");
        Files.setLastModifiedTime(openscad, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals("OpenSCAD version 2025.02", facts().openscadVersion());
        assertEquals(2, runs(), "an upgraded binary is asked again");
        assertEquals("OpenSCAD version 2025.02\n", Files.readString(home.resolve(BoxFacts.VERSION_FILE)));
    }

    @Test
    void anAnswerThatIsNoVersionIsNeitherKeptNorAccepted() throws IOException {
        Files.writeString(openscad, "#!/bin/sh\necho run >> " + Shell.quote(starts.toString())
                + "\necho 'error while loading shared libraries: libGL.so.1' >&2\nexit 127\n");
        CgrenderException e = assertThrows(CgrenderException.class, () -> facts());
        assertTrue(e.getMessage().contains("has no working openscad (") && e.getMessage().contains("libGL"),
                e.getMessage());
        assertFalse(Files.exists(home.resolve(BoxFacts.VERSION_FILE)));
        assertThrows(CgrenderException.class, () -> facts());
        assertEquals(2, runs(), "asked every time");
    }

    /** The facts as a render learns them: in the command that syncs its files (here, none). */
    private BoxFacts facts() {
        BoxFacts.Asked asked = BoxFacts.asked(host.id(), f -> {
        });
        new FileSync(dir.resolve("sync-cache"), new FileHashes()).sync(host, "model", List.of(), Optional.empty(),
                LoopbackBox.TIMEOUT, Progress.NONE, asked);
        return asked.get();
    }

    private void version(String v) throws IOException {
        Files.writeString(openscad, "#!/bin/sh\necho run >> " + Shell.quote(starts.toString())
                + "\necho 'OpenSCAD version " + v + "' >&2\n");
        Files.setPosixFilePermissions(openscad, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private long runs() throws IOException {
        return Files.exists(starts) ? Files.readAllLines(starts).size() : 0;
    }

    /** The loopback box, with each command run in {@code home} as $HOME and {@code bin} first on the PATH. */
    private static final class HomeAndPath extends ForwardingHost {
        private final Path home;
        private final Path bin;

        HomeAndPath(RemoteHost host, Path home, Path bin) {
            super(host);
            this.home = home;
            this.bin = bin;
        }

        @Override
        protected String command(String command) {
            return "export HOME=" + Shell.quote(home.toString()) + " PATH=" + Shell.quote(bin.toString())
                    + ":\"$PATH\"; cd \"$HOME\" || exit 1; " + command;
        }
    }
}
