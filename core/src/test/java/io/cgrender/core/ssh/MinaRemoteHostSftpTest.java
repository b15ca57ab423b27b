package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.testkit.SmallDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server runs on this machine as this user, so remote paths can be checked directly. */
class MinaRemoteHostSftpTest extends SshTestBase {

    private Path inHome;

    @AfterEach
    void removeFromHome() throws IOException {
        if (inHome != null) {
            try (Stream<Path> files = Files.walk(inHome)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void uploadCreatesMissingParentDirectories() throws IOException {
        byte[] content = randomBytes(300_000);
        Path local = Files.write(tmp.resolve("model.stl"), content);
        Path remote = tmp.resolve("remote/a/b/c/model.stl");

        connect().upload(local, remote.toString());

        assertArrayEquals(content, Files.readAllBytes(remote));
        assertTrue(Files.isDirectory(tmp.resolve("remote/a/b")));
    }

    @Test
    void uploadKeepsTheFileModeAndReplacesAnOlderFile() throws IOException {
        Path local = Files.writeString(tmp.resolve("setup.sh"), "#!/bin/sh\necho new\n");
        Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rwxr-x---"));
        Path remote = Files.writeString(Files.createDirectories(tmp.resolve("remote")).resolve("setup.sh"),
                "old content that is longer than the new one\n");

        RemoteHost host = connect();
        host.upload(local, remote.toString());

        assertEquals("#!/bin/sh\necho new\n", Files.readString(remote));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(remote)));
        assertEquals("new\n", host.exec(Poll.sh(remote), TIMEOUT).stdout());
    }

    @Test
    void uploadReplacesAFileWithANewOneKeepingTheLocalModificationTime() throws IOException {
        Path local = Files.writeString(tmp.resolve("part.scad"), "cube(2);\n");
        Files.setLastModifiedTime(local, FileTime.from(Instant.parse("2024-05-06T07:08:09.750Z")));
        Path remote = Files.writeString(Files.createDirectories(tmp.resolve("remote")).resolve("part.scad"),
                "cube(1);\n");
        Path snapshot = Files.createLink(tmp.resolve("snapshot.scad"), remote);

        connect().upload(local, remote.toString());

        assertEquals("cube(2);\n", Files.readString(remote));
        assertEquals("cube(1);\n", Files.readString(snapshot), "the old file was replaced, never rewritten");
        assertEquals(FileTime.from(Instant.parse("2024-05-06T07:08:09Z")), Files.getLastModifiedTime(remote));
        assertEquals(List.of(remote), list(remote.getParent()), "no temporary file is left");
    }

    @Test
    void anUploadThatFillsTheDiskLeavesNoPartialFileAndTheOldFileAlone() throws IOException {
        Path local = Files.write(tmp.resolve("big.stl"), randomBytes(3 << 20));
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("small"), 1)) {
            Path remote = Files.writeString(disk.dir().resolve("big.stl"), "the previous version\n");

            CgrenderException e = assertThrows(CgrenderException.class,
                    () -> connect().upload(local, remote.toString()));

            assertTrue(e.getMessage().startsWith("cannot upload " + local), e.getMessage());
            assertEquals("the previous version\n", Files.readString(remote));
            assertEquals(List.of(remote), list(disk.dir()), "no partial file is left");
        }
    }

    @Test
    void uploadIntoAPathBlockedByAFileFailsNamingIt() throws IOException {
        Path local = Files.writeString(tmp.resolve("x.txt"), "x");
        Files.writeString(tmp.resolve("blocker"), "a file, not a directory");

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> connect().upload(local, tmp.resolve("blocker/x.txt").toString()));

        assertTrue(e.getMessage().contains("blocker"), e.getMessage());
        assertTrue(e.getMessage().startsWith("cannot upload "), e.getMessage());
    }

    @Test
    void downloadWritesTheWholeFileAndLeavesNoTemporaryFile() throws IOException {
        byte[] content = randomBytes(500_000);
        Path remote = Files.write(Files.createDirectories(tmp.resolve("remote")).resolve("out.stl"), content);
        Path targetDir = Files.createDirectories(tmp.resolve("local"));
        Path local = targetDir.resolve("out.stl");

        connect().download(remote.toString(), local);

        assertArrayEquals(content, Files.readAllBytes(local));
        assertEquals(List.of(local), list(targetDir), "nothing but the downloaded file");
    }

    @Test
    void downloadReplacesAnExistingFileAndCreatesMissingDirectories() throws IOException {
        Path remote = Files.writeString(Files.createDirectories(tmp.resolve("remote")).resolve("out.txt"), "new\n");
        Path local = tmp.resolve("local/deeper/out.txt");
        Files.createDirectories(local.getParent());
        Files.writeString(local, "old and longer\n");

        connect().download(remote.toString(), local);

        assertEquals("new\n", Files.readString(local));
        assertEquals(List.of(local), list(local.getParent()));
    }

    @Test
    void aFailedDownloadLeavesTheTargetAloneAndNoTemporaryFile() throws IOException {
        Path targetDir = Files.createDirectories(tmp.resolve("local"));
        Path local = Files.writeString(targetDir.resolve("out.stl"), "previous result\n");

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> connect().download(tmp.resolve("missing.stl").toString(), local));

        assertTrue(e.getMessage().startsWith("cannot download " + ALIAS + ":"), e.getMessage());
        assertTrue(e.getMessage().contains("missing.stl"), e.getMessage());
        assertEquals("previous result\n", Files.readString(local));
        assertEquals(List.of(local), list(targetDir));
    }

    @Test
    void relativeRemotePathsAreRelativeToTheLoginHome() throws IOException {
        String dirName = "cgrender-test-" + UUID.randomUUID();
        inHome = Path.of(System.getProperty("user.home"), dirName);
        Path local = Files.writeString(tmp.resolve("in.txt"), "relative\n");

        RemoteHost host = connect();
        host.upload(local, dirName + "/sub/in.txt");
        host.download(dirName + "/sub/in.txt", tmp.resolve("back.txt"));

        assertEquals("relative\n", Files.readString(inHome.resolve("sub/in.txt")));
        assertEquals("relative\n", Files.readString(tmp.resolve("back.txt")));
        assertEquals("relative\n", host.exec("cat " + dirName + "/sub/in.txt", TIMEOUT).stdout());
    }

    @Test
    void severalFilesTravelOverOneSessionEachWhole() throws IOException {
        Map<String, Path> uploads = new LinkedHashMap<>();
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            byte[] content = randomBytes(10_000 + i);
            String remote = tmp.resolve("remote/" + (i % 2 == 0 ? "even" : "odd/deeper") + "/f" + i).toString();
            uploads.put(remote, Files.write(tmp.resolve("f" + i), content));
            contents.put(remote, content);
        }
        RemoteHost host = connect();

        host.uploadAll(uploads);
        Map<String, Path> downloads = new LinkedHashMap<>();
        uploads.keySet().forEach(remote -> downloads.put(remote, tmp.resolve("back/" + Path.of(remote).getFileName())));
        host.downloadAll(downloads);

        for (Map.Entry<String, byte[]> e : contents.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(Path.of(e.getKey())));
            assertArrayEquals(e.getValue(), Files.readAllBytes(downloads.get(e.getKey())));
        }
        assertEquals(5, list(tmp.resolve("back")).size(), "nothing but the downloaded files");
    }

    @Test
    void aMissingLocalFileFailsTheUploadBeforeAnythingIsSent() throws IOException {
        Path present = Files.writeString(tmp.resolve("present.txt"), "here\n");
        Map<String, Path> uploads = new LinkedHashMap<>();
        uploads.put(tmp.resolve("remote/present.txt").toString(), present);
        uploads.put(tmp.resolve("remote/missing.txt").toString(), tmp.resolve("missing.txt"));

        CgrenderException e = assertThrows(CgrenderException.class, () -> connect().uploadAll(uploads));

        assertTrue(e.getMessage().startsWith("cannot upload " + tmp.resolve("missing.txt")), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("remote")));
    }

    @Test
    void transfersRunConcurrentlyWithCommands() throws Exception {
        RemoteHost host = connect();
        byte[] content = randomBytes(200_000);
        Path local = Files.write(tmp.resolve("big.bin"), content);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> running = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Path remote = tmp.resolve("remote/" + i + "/big.bin");
                running.add(pool.submit(() -> host.upload(local, remote.toString())));
            }
            assertEquals("busy\n", host.exec("echo busy", TIMEOUT).stdout());
            for (java.util.concurrent.Future<?> f : running) {
                f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(content, Files.readAllBytes(tmp.resolve("remote/" + i + "/big.bin")));
        }
    }

    @Test
    void transfersOnAClosedSessionFailClearly() throws IOException {
        RemoteHost host = connect();
        host.close();
        Path local = Files.writeString(tmp.resolve("x"), "x");

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> host.upload(local, tmp.resolve("y").toString()));

        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("y")));
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
