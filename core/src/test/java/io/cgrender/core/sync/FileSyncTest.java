package io.cgrender.core.sync;

import io.cgrender.core.ssh.LoopbackBox;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Progress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FileSync} against a real OpenSSH server on this machine, so what arrived on the "box" is checked by reading
 * its files directly. The client connects through a {@link CountingProxy}, which measures what really travels.
 */
class FileSyncTest {

    @TempDir
    static Path classDir;
    private static LoopbackBox box;
    private static CountingProxy proxy;

    @TempDir
    Path tmp;
    private Path src;
    private Path cache;
    /** The sync directory on the box, relative to its home; its name has a space. */
    private String remoteDir;
    private Path remote;

    @BeforeAll
    static void startBox() {
        box = LoopbackBox.start(classDir);
        proxy = CountingProxy.start(box.sshd().port());
    }

    @AfterAll
    static void stopBox() {
        if (proxy != null) {
            proxy.close();
        }
        if (box != null) {
            box.close();
        }
    }

    @BeforeEach
    void directories() throws IOException {
        src = Files.createDirectories(tmp.resolve("src"));
        cache = tmp.resolve("cache");
        remoteDir = box.newRemoteDir() + "/work dir";
        remote = box.local(remoteDir);
    }

    // ---------------------------------------------------------------- first and unchanged syncs

    @Test
    void firstSyncSendsEveryFileIntoTheSameLayout() throws IOException {
        List<SyncFile> files = List.of(
                file("main.scad", "include <lib/shapes.scad>\ncube(10);\n"),
                file("lib/shapes.scad", "module ring() { circle(5); }\n"),
                file("lib/deep/er/data.dat", randomBytes(70_000, 1)),
                file("my models/a model.scad", "sphere(3);\n"),
                file("empty.txt", new byte[0]));

        SyncResult result = sync(files);

        long sizes = 0;
        for (SyncFile f : files) {
            sizes += Files.size(f.local());
        }
        assertEquals(files.size(), result.filesSent());
        assertEquals(0, result.filesUnchanged());
        assertEquals(0, result.filesRemoved());
        assertEquals(sizes + Files.size(manifest()), result.bytesSent(),
                "the files and the new manifest");
        assertEquals(localTree(files), boxTree());
        assertEquals(manifestOf(files), boxManifest());
    }

    @Test
    void anUnchangedTreeSendsNothing() throws IOException {
        List<SyncFile> files = List.of(file("a.scad", "cube(1);\n"), file("sub/b.scad", "cube(2);\n"));
        FileSync sync = newSync();
        sync(sync, files);
        String manifest = Files.readString(manifest());

        SyncResult again = sync(sync, files);

        assertEquals(new SyncResult(0, 0, 2, 0), again);
        assertEquals(manifest, Files.readString(manifest()), "nothing appended");
        assertEquals(localTree(files), boxTree());
    }

    /**
     * The product target: in a 300-file, 50 MB tree, changing one file sends that file and little else. Also checks
     * that with the client's cache an unchanged tree does not even read the manifest back.
     */
    @Test
    void inALargeTreeOnlyTheChangedFileTravels() throws IOException {
        List<SyncFile> files = largeTree(300, 50L << 20);
        FileSync sync = newSync();
        SyncResult first = sync(sync, files);
        assertEquals(300, first.filesSent());
        long manifestSize = Files.size(manifest());

        long down = proxy.toClient();
        long up = proxy.toServer();
        assertEquals(new SyncResult(0, 0, 300, 0), sync(sync, files));
        long unchangedDown = proxy.toClient() - down;
        long unchangedUp = proxy.toServer() - up;
        assertTrue(unchangedDown < manifestSize, "an unchanged sync reads " + unchangedDown
                + " bytes, less than the " + manifestSize + "-byte manifest: the client's copy was used");

        SyncFile touched = files.get(137);
        byte[] changed = Files.readAllBytes(touched.local());
        changed[changed.length / 2] ^= 0x5a;
        Files.write(touched.local(), changed);
        Map<String, Object> before = boxFileKeys();
        up = proxy.toServer();

        SyncResult second = sync(sync, files);

        long wire = proxy.toServer() - up;
        System.out.printf("300 files, %d bytes; one %d-byte file changed: bytesSent=%d, on the wire to the"
                        + " server=%d; unchanged sync: %d bytes up, %d down (manifest %d bytes)%n",
                totalSize(files), changed.length, second.bytesSent(), wire, unchangedUp, unchangedDown,
                manifestSize);
        assertEquals(1, second.filesSent());
        assertEquals(299, second.filesUnchanged());
        assertTrue(second.bytesSent() <= changed.length + 16 * 1024,
                "sent " + second.bytesSent() + " bytes for a " + changed.length + "-byte change");
        assertTrue(wire <= changed.length + 32 * 1024,
                wire + " bytes went to the server for a " + changed.length + "-byte change");
        Map<String, Object> after = boxFileKeys();
        List<String> modified = new ArrayList<>();
        before.forEach((path, key) -> {
            if (!key.equals(after.get(path))) {
                modified.add(path);
            }
        });
        assertEquals(List.of(touched.remote()), modified, "only the changed file was written on the box");
        assertEquals(before.keySet(), after.keySet());
        assertEquals(sha256(changed), sha256(Files.readAllBytes(remote.resolve(touched.remote()))));
    }

    // ---------------------------------------------------------------- the box behind cgrender's back

    @Test
    void aFileChangedOrDeletedOnTheBoxIsSentAgainAndNothingElse() throws IOException {
        SyncFile changed = file("changed.scad", "cube(10);\n");
        SyncFile sameSize = file("same-size.scad", "cube(20);\n");
        SyncFile deleted = file("parts/deleted.scad", randomBytes(5_000, 7));
        SyncFile untouched = file("parts/untouched.scad", randomBytes(40_000, 8));
        List<SyncFile> files = List.of(changed, sameSize, deleted, untouched);
        FileSync sync = newSync();
        sync(sync, files);
        // Behind cgrender's back: one file grows, one keeps its size, one goes. The client's cache knows nothing.
        Files.writeString(remote.resolve("changed.scad"), "sphere(100);\n");
        Files.writeString(remote.resolve("same-size.scad"), "cube(99);\n");
        Files.delete(remote.resolve("parts/deleted.scad"));

        SyncResult result = sync(sync, files);

        assertEquals(3, result.filesSent(), result.toString());
        assertEquals(1, result.filesUnchanged());
        long sent = Files.size(changed.local()) + Files.size(sameSize.local()) + Files.size(deleted.local());
        assertTrue(result.bytesSent() >= sent && result.bytesSent() < sent + 1024,
                "the three files and a few manifest lines, not the untouched 40 KB: " + result);
        assertEquals(localTree(files), boxTree());
        assertEquals(manifestOf(files), boxManifest());
        assertEquals(new SyncResult(0, 0, 4, 0), sync(sync, files), "and then nothing");
    }

    @Test
    void aFileTouchedOnTheBoxWithItsContentUnchangedIsHashedThereNotSent() throws IOException {
        List<SyncFile> files = List.of(file("a.scad", "cube(1);\n"), file("b.scad", randomBytes(30_000, 3)));
        FileSync sync = newSync();
        sync(sync, files);
        Files.setLastModifiedTime(remote.resolve("b.scad"), FileTime.from(Instant.now()));

        SyncResult result = sync(sync, files);

        assertEquals(0, result.filesSent(), result.toString());
        assertEquals(2, result.filesUnchanged());
        assertTrue(result.bytesSent() < 200, "only the manifest's new line for b.scad: " + result);
        assertEquals(manifestOf(files), boxManifest());
        assertEquals(new SyncResult(0, 0, 2, 0), sync(sync, files), "the new time is recorded");
    }

    @Test
    void filesThatDoNotBelongAreRemovedLeftoversOfAnInterruptedUploadToo() throws IOException {
        List<SyncFile> files = List.of(file("a.scad", "cube(1);\n"), file("sub/b.scad", "cube(2);\n"));
        FileSync sync = newSync();
        sync(sync, files);
        Files.writeString(remote.resolve("sub/.b.scad.0a1b2c3d4e5f.part"), "half an upl");
        Files.createDirectories(remote.resolve("stray/deeper"));
        Files.writeString(remote.resolve("stray/deeper/notes.txt"), "someone's notes\n");
        Files.createSymbolicLink(remote.resolve("link.scad"), Path.of("/etc/hostname"));

        SyncResult result = sync(sync, files);

        assertEquals(3, result.filesRemoved(), result.toString());
        assertEquals(0, result.filesSent());
        assertEquals(localTree(files), boxTree());
        assertFalse(Files.exists(remote.resolve("stray")), "emptied directories go too");
        assertFalse(Files.exists(remote.resolve("link.scad"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    // ---------------------------------------------------------------- a job's own copy

    @Test
    void aSnapshotIsTheSyncedTreeAndKeepsItsContentWhenTheDirectoryChangesLater() throws IOException {
        SyncFile model = file("model.scad", "include <parts/a.scad>\n");
        SyncFile part = file("parts/a.scad", "cube(1);\n");
        String snapshotDir = box.newRemoteDir() + "/job-1/in";
        FileSync sync = newSync();

        sync.sync(box.connect(proxy.port()), remoteDir, List.of(model, part),
                linkedCopy(snapshotDir), LoopbackBox.TIMEOUT, Progress.NONE);
        Files.writeString(part.local(), "cube(2);\n");
        sync(sync, List.of(model, part));

        Path snapshot = box.local(snapshotDir);
        assertEquals(Map.of("model.scad", sha256("include <parts/a.scad>\n"), "parts/a.scad", sha256("cube(1);\n")),
                tree(snapshot), "the job's copy: the files as they were synced for it, without the manifest");
        assertEquals("cube(2);\n", Files.readString(remote.resolve("parts/a.scad")));

        String unchangedDir = box.newRemoteDir() + "/job-2/in";
        SyncResult unchanged = sync.sync(box.connect(proxy.port()), remoteDir, List.of(model, part),
                linkedCopy(unchangedDir), LoopbackBox.TIMEOUT, Progress.NONE);
        assertEquals(new SyncResult(0, 0, 2, 0), unchanged);
        assertEquals(Map.of("model.scad", sha256("include <parts/a.scad>\n"), "parts/a.scad", sha256("cube(2);\n")),
                tree(box.local(unchangedDir)), "a copy of a directory nothing had to change in");
    }

    @Test
    void aSyncThatFailsLeavesNoCopyForItsJob() throws IOException {
        SyncFile a = file("a.scad", "cube(1);\n");
        sync(List.of(a));
        Files.createDirectories(remote.resolve("b.scad")); // an empty directory where a file must go: not listed
        SyncFile b = file("b.scad", "cube(2);\n");
        String snapshotDir = box.newRemoteDir() + "/job-3/in";

        assertThrows(io.cgrender.core.CgrenderException.class, () -> newSync().sync(box.connect(proxy.port()),
                remoteDir, List.of(a, b), linkedCopy(snapshotDir), LoopbackBox.TIMEOUT,
                Progress.NONE));

        io.cgrender.core.cloud.Eventually.await(java.time.Duration.ofSeconds(20), "the job's directory is removed",
                () -> !Files.exists(box.local(parentOf(snapshotDir))));
    }

    @Test
    void aCopiedSnapshotSharesNothingWithTheDirectory() throws IOException {
        SyncFile input = file("input.txt", "data\n");
        String snapshotDir = box.newRemoteDir() + "/job-2/in";

        newSync().sync(box.connect(proxy.port()), remoteDir, List.of(input),
                realCopy(snapshotDir), LoopbackBox.TIMEOUT, Progress.NONE);
        Files.writeString(box.local(snapshotDir).resolve("input.txt"), "changed by the job\n",
                StandardOpenOption.APPEND);

        assertEquals("data\n", Files.readString(remote.resolve("input.txt")));
        assertEquals(new SyncResult(0, 0, 1, 0), sync(List.of(input)));
    }

    @Test
    void concurrentSyncsOfOneDirectoryTakeTurnsAndEachSnapshotHoldsItsOwnFiles() throws Exception {
        int clients = 6;
        List<List<SyncFile>> sets = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Path dir = Files.createDirectories(tmp.resolve("client-" + i));
            List<SyncFile> set = new ArrayList<>();
            set.add(local(dir, "model.scad", "size = " + i + ";\n"));
            set.add(local(dir, "lib/shared.scad", "module shared() {}\n"));
            set.add(local(dir, "lib/big.dat", randomBytes(200_000, i % 2)));
            sets.add(set);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
        List<String> snapshots = new ArrayList<>();
        try {
            List<java.util.concurrent.Future<SyncResult>> running = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                List<SyncFile> set = sets.get(i);
                String snapshotDir = box.newRemoteDir() + "/in";
                snapshots.add(snapshotDir);
                // Each client its own cache, as separate processes have.
                FileSync sync = new FileSync(tmp.resolve("cache-" + i), new FileHashes());
                running.add(pool.submit(() -> sync.sync(box.connect(proxy.port()), remoteDir, set,
                        linkedCopy(snapshotDir), LoopbackBox.TIMEOUT, Progress.NONE)));
            }
            for (java.util.concurrent.Future<SyncResult> f : running) {
                f.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < clients; i++) {
            assertEquals(localTree(sets.get(i)), tree(box.local(snapshots.get(i))), "client " + i + "'s copy");
        }
        // The directory holds whichever set came last, consistently: another sync fixes it up as usual.
        List<SyncFile> first = sets.get(0);
        SyncResult again = sync(first);
        assertTrue(again.filesSent() <= 2 && again.filesUnchanged() >= 1, again.toString());
        assertEquals(localTree(first), boxTree());
        assertEquals(manifestOf(first), boxManifest());
    }

    // ---------------------------------------------------------------- riders: work in the sync's own command

    @Test
    void aRidersFirstScriptRunsInTheHomeBeforeTheSyncChangesAnythingAndItsLastOnceTheCopyIsKept() throws IOException {
        SyncFile a = file("a.scad", "cube(1);\n");
        String snapshotDir = box.newRemoteDir() + "/job-1/in";
        List<String> seen = new ArrayList<>();
        SyncRider rider = new SyncRider() {
            @Override
            public String first() {
                return "pwd; echo facts; exit 3";
            }

            @Override
            public void firstDone(int exitCode, String printed) {
                seen.add("first " + exitCode + " " + printed + " uploaded=" + Files.exists(remote.resolve("a.scad")));
            }

            @Override
            public String last() {
                seen.add("last asked, copy kept=" + Files.exists(box.local(snapshotDir).resolve("a.scad")));
                return "pwd; ls " + snapshotDir + "; exit 4";
            }

            @Override
            public void lastDone(int exitCode, String printed) {
                seen.add("last " + exitCode + " " + printed);
            }
        };

        SyncResult result = newSync().sync(box.connect(proxy.port()), remoteDir, List.of(a), linkedCopy(snapshotDir),
                LoopbackBox.TIMEOUT, Progress.NONE, rider);

        String home = box.home().toRealPath().toString();
        assertEquals(List.of("first 3 " + home + "\nfacts\n uploaded=false", "last asked, copy kept=true",
                "last 4 " + home + "\na.scad\n"), seen);
        assertEquals(1, result.filesSent());
        assertEquals(localTree(List.of(a)), tree(box.local(snapshotDir)));
    }

    @Test
    void aRiderThatCallsTheSyncOffLeavesNothingOnTheBox() throws IOException {
        SyncFile a = file("a.scad", "cube(1);\n");
        String snapshotDir = box.newRemoteDir() + "/job-2/in";
        List<String> asked = new ArrayList<>();
        SyncRider rider = new SyncRider() {
            @Override
            public String first() {
                return "echo 'OpenSCAD version 2019.05'";
            }

            @Override
            public void firstDone(int exitCode, String printed) {
                throw new IllegalStateException("not the version assumed: " + printed.strip());
            }

            @Override
            public String last() {
                asked.add("last");
                return "true";
            }
        };

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> newSync().sync(
                box.connect(proxy.port()), remoteDir, List.of(a), linkedCopy(snapshotDir), LoopbackBox.TIMEOUT,
                Progress.NONE, rider));

        assertEquals("not the version assumed: OpenSCAD version 2019.05", e.getMessage());
        assertEquals(List.of(), asked);
        assertFalse(Files.exists(remote.resolve("a.scad")), "nothing was uploaded");
        io.cgrender.core.cloud.Eventually.await(java.time.Duration.ofSeconds(20), "the job's directory is removed",
                () -> !Files.exists(box.local(parentOf(snapshotDir))));
    }

    @Test
    void whatTheLastScriptLeavesRunningDoesNotHoldTheDirectory() throws Exception {
        SyncFile a = file("a.scad", "cube(1);\n");
        String[] pid = new String[1];
        SyncRider starter = new SyncRider() {
            @Override
            public String last() {
                return "nohup sleep 60 > /dev/null 2>&1 < /dev/null & echo $!";
            }

            @Override
            public void lastDone(int exitCode, String printed) {
                pid[0] = printed.strip();
            }
        };
        newSync().sync(box.connect(proxy.port()), remoteDir, List.of(a), linkedCopy(box.newRemoteDir() + "/in"),
                LoopbackBox.TIMEOUT, Progress.NONE, starter);
        try {
            assertTrue(pid[0].matches("[0-9]+"), pid[0]);
            assertTrue(ProcessHandle.of(Long.parseLong(pid[0])).map(ProcessHandle::isAlive).orElse(false),
                    "what the last script started runs on");

            // The next sync of the directory takes its lock within 2 s (not after the 60 s of what runs on).
            SyncResult next = newSync().sync(box.connect(proxy.port()), remoteDir, List.of(a), Optional.empty(),
                    java.time.Duration.ofSeconds(2), Progress.NONE);
            assertEquals(1, next.filesUnchanged());
        } finally {
            ProcessHandle.of(Long.parseLong(pid[0])).ifPresent(ProcessHandle::destroy);
        }
    }

    // ---------------------------------------------------------------- files leaving the set

    @Test
    void aFileLeavingTheSetLeavesTheBox() throws IOException {
        SyncFile keep = file("keep.scad", "cube(1);\n");
        SyncFile drop = file("old/drop.scad", "cube(2);\n");
        FileSync sync = newSync();
        sync(sync, List.of(keep, drop));

        SyncResult result = sync(sync, List.of(keep));

        assertEquals(new SyncResult(0, result.bytesSent(), 1, 1), result);
        assertTrue(result.bytesSent() > 0 && result.bytesSent() < 100, "only the manifest's removal line: "
                + result.bytesSent());
        assertEquals(localTree(List.of(keep)), boxTree());
        assertFalse(Files.exists(remote.resolve("old")), "the emptied directory goes too");
        assertEquals(manifestOf(List.of(keep)), boxManifest());
    }

    @Test
    void aRenamedFileMovesOnTheBox() throws IOException {
        SyncFile other = file("other.scad", "cube(1);\n");
        SyncFile before = file("parts/gear.scad", "gear(teeth = 12);\n");
        FileSync sync = newSync();
        sync(sync, List.of(other, before));
        Path renamed = Files.createDirectories(src.resolve("parts/new")).resolve("big gear.scad");
        Files.move(before.local(), renamed);
        SyncFile after = new SyncFile(renamed, "parts/new/big gear.scad");

        SyncResult result = sync(sync, List.of(other, after));

        assertEquals(1, result.filesSent());
        assertEquals(1, result.filesUnchanged());
        assertEquals(1, result.filesRemoved());
        assertEquals(localTree(List.of(other, after)), boxTree());
        assertEquals(manifestOf(List.of(other, after)), boxManifest());
    }

    @Test
    void aFileReplacedByADirectoryOfTheSameName() throws IOException {
        SyncFile asFile = file("parts", "was a file\n");
        FileSync sync = newSync();
        sync(sync, List.of(asFile));
        Files.delete(asFile.local());
        SyncFile inside = file("parts/gear.scad", "gear();\n");

        SyncResult result = sync(sync, List.of(inside));

        assertEquals(1, result.filesSent());
        assertEquals(1, result.filesRemoved());
        assertEquals(localTree(List.of(inside)), boxTree());
        assertEquals(manifestOf(List.of(inside)), boxManifest());
    }

    @Test
    void aDirectoryReplacedByAFileOfTheSameName() throws IOException {
        SyncFile inside = file("parts/gear.scad", "gear();\n");
        FileSync sync = newSync();
        sync(sync, List.of(inside));
        Files.delete(inside.local());
        Files.delete(src.resolve("parts"));
        SyncFile asFile = file("parts", "now a file\n");

        SyncResult result = sync(sync, List.of(asFile));

        assertEquals(1, result.filesSent());
        assertEquals(1, result.filesRemoved());
        assertEquals(localTree(List.of(asFile)), boxTree());
        assertEquals(manifestOf(List.of(asFile)), boxManifest());
    }

    // ---------------------------------------------------------------- the manifest

    @Test
    void aLostClientCacheIsRebuiltFromTheBoxsManifest() throws IOException {
        List<SyncFile> files = List.of(file("a.scad", "cube(1);\n"), file("b/c.scad", "cube(2);\n"));
        sync(newSync(), files);
        assertTrue(Files.isDirectory(cache), "the client remembers the manifest");
        LoopbackBox.deleteTree(cache);

        SyncResult result = sync(new FileSync(cache, new FileHashes()), files);

        assertEquals(new SyncResult(0, 0, 2, 0), result);
        assertTrue(Files.isDirectory(cache), "and remembers it again");
        // With the cache rebuilt, a change is an append to the box's manifest, as before.
        Files.writeString(files.get(0).local(), "cube(3);\n");
        assertEquals(1, sync(newSync(), files).filesSent());
        assertEquals(localTree(files), boxTree());
        assertEquals(manifestOf(files), boxManifest());
    }

    @Test
    void aManifestChangedOnTheBoxIsReadAgain() throws IOException {
        List<SyncFile> files = List.of(file("a.scad", "cube(1);\n"), file("b.scad", "cube(2);\n"),
                file("c.scad", "cube(3);\n"));
        FileSync sync = newSync();
        sync(sync, files);
        // Someone else synced other content for a.scad and removed b.scad; the client's cache does not know.
        Files.writeString(remote.resolve("a.scad"), "something else\n");
        Files.delete(remote.resolve("b.scad"));
        Files.writeString(manifest(), "0".repeat(64) + " 15 1700000000 a.scad\n- b.scad\n",
                StandardOpenOption.APPEND);

        SyncResult result = sync(sync, files);

        assertEquals(2, result.filesSent(), "a.scad and b.scad go again: " + result);
        assertEquals(1, result.filesUnchanged());
        assertEquals(localTree(files), boxTree());
        assertEquals(manifestOf(files), boxManifest());
    }

    @Test
    void aManifestWhoseLastAppendWasCutShortStillWorks() throws IOException {
        List<SyncFile> files = List.of(file("a.scad", "cube(1);\n"), file("b.scad", "cube(2);\n"));
        FileSync sync = newSync();
        sync(sync, files);
        Files.writeString(manifest(), "0123456789abcdef 12", StandardOpenOption.APPEND); // no newline: torn

        assertEquals(new SyncResult(0, 0, 2, 0), sync(sync, files), "the torn line is ignored");
        Files.writeString(files.get(1).local(), "cube(3);\n");
        assertEquals(1, sync(sync, files).filesSent());

        assertEquals(localTree(files), boxTree());
        assertEquals(manifestOf(files), boxManifest(), "the new line did not join the torn one");
        assertEquals(new SyncResult(0, 0, 2, 0), sync(new FileSync(tmp.resolve("other-cache"), new FileHashes()),
                files), "another client reads the same");
    }

    @Test
    void aBoxThatLostTheDirectoryGetsEverythingAgain() throws IOException {
        List<SyncFile> files = List.of(file("a.scad", "cube(1);\n"), file("b/c.scad", "cube(2);\n"));
        FileSync sync = newSync();
        sync(sync, files);
        LoopbackBox.deleteTree(remote);

        SyncResult result = sync(sync, files);

        assertEquals(2, result.filesSent());
        assertEquals(localTree(files), boxTree());
        assertEquals(manifestOf(files), boxManifest());
    }

    @Test
    void theManifestIsCompactedWhenItGrowsAndStaysCorrect() throws IOException {
        List<SyncFile> files = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            files.add(file("d" + (i % 3) + "/f" + i + ".scad", "f" + i + "\n"));
        }
        FileSync sync = newSync();
        sync(sync, files);
        int bound = 4 * 16; // 4 lines per file, for at least 16 files
        int compactions = 0;
        long previousLines = manifestLines();
        for (int round = 1; round <= 7; round++) {
            for (SyncFile f : files.subList(0, 12)) {
                Files.writeString(f.local(), "round " + round + " of " + f.remote() + "\n");
            }
            if (round % 3 == 1) {
                files.add(file("extra/" + round + ".scad", "extra " + round + "\n"));
            } else if (round % 3 == 2 && files.size() > 13) {
                Files.delete(files.remove(12).local());
            }

            SyncResult result = sync(sync, files);

            assertTrue(result.filesSent() >= 12, "round " + round + ": " + result);
            long lines = manifestLines();
            assertTrue(lines <= bound, "round " + round + ": the manifest has " + lines + " lines");
            if (lines < previousLines) {
                compactions++;
                assertEquals(files.size() + 1, lines, "a compacted manifest has its header and one line per file");
            }
            previousLines = lines;
            assertEquals(localTree(files), boxTree(), "round " + round);
            assertEquals(manifestOf(files), boxManifest(), "round " + round);
        }
        assertEquals(1, compactions, "the manifest was compacted once, then appended to again");

        assertEquals(new SyncResult(0, 0, files.size(), 0), sync(sync, files), "nothing left to send");
        LoopbackBox.deleteTree(cache);
        assertEquals(new SyncResult(0, 0, files.size(), 0), sync(new FileSync(cache, new FileHashes()), files),
                "the box's compacted manifest alone says so too");
    }

    @Test
    void twoFilesForOnePathAreRefusedBeforeAnythingTravels() throws IOException {
        SyncFile a = file("a.scad", "a\n");
        SyncFile b = new SyncFile(file("b.scad", "b\n").local(), "a.scad");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sync(List.of(a, b)));

        assertTrue(e.getMessage().contains("a.scad"), e.getMessage());
        assertFalse(Files.exists(remote), "nothing was created on the box");
    }

    @Test
    void aManifestThatOlderVersionsKeptInsideTheDirectoryGoesAndEveryFileIsCheckedOnce() throws IOException {
        SyncFile a = file("a.scad", "cube(1);\n");
        SyncFile b = file("b/c.scad", randomBytes(20_000, 5));
        Files.createDirectories(remote.resolve("b"));
        Files.copy(a.local(), remote.resolve("a.scad"));
        Files.copy(b.local(), remote.resolve("b/c.scad"));
        Files.writeString(remote.resolve(".cgrender-manifest"), sha256(Files.readAllBytes(a.local())) + " 9 a.scad\n"
                + sha256(Files.readAllBytes(b.local())) + " 20000 b/c.scad\n");

        SyncResult result = sync(List.of(a, b));

        assertEquals(new SyncResult(0, result.bytesSent(), 2, 1), result, "hashed on the box, not sent again");
        assertEquals(localTree(List.of(a, b)), boxTree(), "the old manifest is gone from the directory");
        assertEquals(manifestOf(List.of(a, b)), boxManifest());
    }

    // ---------------------------------------------------------------- helpers

    private FileSync newSync() {
        return new FileSync(cache, new FileHashes());
    }

    private SyncResult sync(List<SyncFile> files) {
        return sync(newSync(), files);
    }

    private SyncResult sync(FileSync sync, List<SyncFile> files) {
        RemoteHost host = box.connect(proxy.port());
        return sync.sync(host, remoteDir, files, LoopbackBox.TIMEOUT);
    }

    private SyncFile file(String path, String content) throws IOException {
        return file(path, content.getBytes(StandardCharsets.UTF_8));
    }

    private SyncFile file(String path, byte[] content) throws IOException {
        return local(src, path, content);
    }

    private static SyncFile local(Path root, String path, String content) throws IOException {
        return local(root, path, content.getBytes(StandardCharsets.UTF_8));
    }

    private static SyncFile local(Path root, String path, byte[] content) throws IOException {
        Path local = root.resolve(path);
        Files.createDirectories(local.getParent());
        Files.write(local, content);
        return new SyncFile(local, path);
    }

    /** {@code count} files of random content totalling about {@code total} bytes, in nested directories. */
    private List<SyncFile> largeTree(int count, long total) throws IOException {
        Random random = new Random(300);
        List<SyncFile> files = new ArrayList<>();
        long average = total / count;
        for (int i = 0; i < count; i++) {
            int size = (int) (average / 2 + random.nextLong(average));
            files.add(file("d" + (i % 7) + "/e" + (i % 3) + "/part-" + i + ".stl", randomBytes(size, i)));
        }
        return files;
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static long totalSize(List<SyncFile> files) throws IOException {
        long total = 0;
        for (SyncFile f : files) {
            total += Files.size(f.local());
        }
        return total;
    }

    /** Remote path → SHA-256 of the local files. */
    private static Map<String, String> localTree(List<SyncFile> files) throws IOException {
        Map<String, String> tree = new TreeMap<>();
        for (SyncFile f : files) {
            tree.put(f.remote(), sha256(Files.readAllBytes(f.local())));
        }
        return tree;
    }

    /** What the manifest should say: remote path → "sha256 size". */
    private static Map<String, String> manifestOf(List<SyncFile> files) throws IOException {
        Map<String, String> entries = new TreeMap<>();
        for (SyncFile f : files) {
            byte[] content = Files.readAllBytes(f.local());
            entries.put(f.remote(), sha256(content) + " " + content.length);
        }
        return entries;
    }

    /** Relative path → SHA-256 of every file in the sync directory on the box. */
    private Map<String, String> boxTree() throws IOException {
        return tree(remote);
    }

    /** Relative path → SHA-256 of every file (of anything not a directory) below {@code root}. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> tree = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
                tree.put(root.relativize(p).toString(), sha256(Files.readAllBytes(p)));
            }
        }
        return tree;
    }

    private static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A job's hard-linked copy in {@code dir}, owned by the job's directory (its parent). */
    private static Optional<FileSync.Snapshot> linkedCopy(String dir) {
        return Optional.of(FileSync.Snapshot.linked(dir, parentOf(dir)));
    }

    /** A job's copy of real files in {@code dir}, owned by the job's directory (its parent). */
    private static Optional<FileSync.Snapshot> realCopy(String dir) {
        return Optional.of(FileSync.Snapshot.copied(dir, parentOf(dir)));
    }

    /** A job's directory, owning a snapshot of its inputs in {@code snapshotDir}. */
    private static String parentOf(String snapshotDir) {
        return snapshotDir.substring(0, snapshotDir.lastIndexOf('/'));
    }

    /** The manifest the box keeps beside the sync directory. */
    private Path manifest() {
        return box.local(remoteDir + ".manifest");
    }

    /** Relative path → file key (device and inode) of each file on the box; a new file has another. */
    private Map<String, Object> boxFileKeys() throws IOException {
        Map<String, Object> keys = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(remote)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                keys.put(remote.relativize(p).toString(),
                        Files.readAttributes(p, BasicFileAttributes.class).fileKey());
            }
        }
        return keys;
    }

    /**
     * The box's manifest read independently of {@link FileSync}: "sha256 size" by path, the last line for a path
     * winning; each entry's time must be the file's on the box.
     */
    private Map<String, String> boxManifest() throws IOException {
        Map<String, String> entries = new TreeMap<>();
        List<String> lines = Files.readAllLines(manifest());
        assertEquals("# cgrender sync manifest 2", lines.get(0));
        Map<String, String> times = new TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("- ")) {
                entries.remove(line.substring(2));
            } else {
                String[] f = line.split(" ", 4);
                if (f.length < 4 || f[0].length() != 64) {
                    continue; // a torn line
                }
                entries.put(f[3], f[0] + " " + f[1]);
                times.put(f[3], f[2]);
            }
        }
        for (String path : entries.keySet()) {
            FileTime onBox = Files.getLastModifiedTime(remote.resolve(path));
            assertEquals(0, new java.math.BigDecimal(times.get(path)).compareTo(new java.math.BigDecimal(
                    onBox.to(TimeUnit.NANOSECONDS)).movePointLeft(9)), path + ": the manifest's time is the box's");
        }
        return entries;
    }

    private long manifestLines() {
        try {
            return Files.readAllLines(manifest()).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(FileHashes.sha256digest(bytes));
    }
}
