package io.cgrender.core.job;

import io.cgrender.core.cloud.Eventually;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job wrapper ({@code run.sh}) run directly here, for what is too quick to reach over SSH: a signal the moment
 * the job has recorded its pid, sent to the wrapper alone.
 */
class RunScriptTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path home;
    private final List<Process> wrappers = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (Process p : wrappers) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void aSignalAsSoonAsThePidIsRecordedCancelsTheJob() throws Exception {
        Path script = home.resolve("run.sh");
        try (InputStream in = RemoteJobs.class.getResourceAsStream("run.sh")) {
            Files.write(script, in.readAllBytes());
        }
        Files.createDirectories(home.resolve("work"));
        for (int attempt = 0; attempt < 20; attempt++) {
            Path job = Files.createDirectories(home.resolve("job-" + attempt));
            // The pid file appears whole (renamed into place): the job may be cancelled half-way through writing it.
            Files.writeString(job.resolve("command.sh"), "sleep 300 & echo $! > sleep.pid.tmp; mv sleep.pid.tmp"
                    + " sleep.pid; wait\n");
            // setsid, as RemoteJobs starts it: the wrapper leads the job's process group.
            ProcessBuilder builder = new ProcessBuilder("setsid", "bash", script.toString(), job.toString(), "work",
                    "keep")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true);
            builder.environment().put("HOME", home.toString());
            Process wrapper = builder.start();
            wrappers.add(wrapper);
            wrapper.getOutputStream().close();
            Path pid = job.resolve("pid");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!nonEmpty(pid) && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            assertTrue(nonEmpty(pid), "the wrapper records its pid");

            wrapper.destroy(); // SIGTERM to the wrapper alone, as kill(1) sends

            Eventually.await(WAIT, "the wrapper of attempt " + attempt + " exits", () -> !wrapper.isAlive());
            String status = Files.exists(job.resolve("status")) ? Files.readString(job.resolve("status")) : "";
            assertTrue(status.contains("stage=cancelled\n") && status.contains("exit=143\n"),
                    "attempt " + attempt + ": " + (status.isEmpty() ? "no status" : status));
            assertFalse(Files.exists(pid), "attempt " + attempt + ": an ended job leaves no pid file");
            assertEquals(143, wrapper.exitValue());
            Path sleepPid = home.resolve("work/sleep.pid");
            if (Files.exists(sleepPid)) {
                long sleep = Long.parseLong(Files.readString(sleepPid).strip());
                Eventually.await(WAIT, "attempt " + attempt + ": the job's own processes end with it",
                        () -> !isRunning(sleep));
                Files.delete(sleepPid);
            }
        }
    }

    @Test
    void aJobThatSaysItsBoxInterruptedItEndsInterruptedWhateverItsExitCode() throws Exception {
        Path script = home.resolve("run.sh");
        try (InputStream in = RemoteJobs.class.getResourceAsStream("run.sh")) {
            Files.write(script, in.readAllBytes());
        }
        Files.createDirectories(home.resolve("work"));
        Path job = Files.createDirectories(home.resolve("job"));
        Files.writeString(job.resolve("command.sh"), "echo at=2026-05-04T10:12:00Z > \"$HOME/job/"
                + RemoteJobs.INTERRUPTED_FILE + "\"; exit 143\n");
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), job.toString(), "work", "keep")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true);
        builder.environment().put("HOME", home.toString());
        Process wrapper = builder.start();
        wrappers.add(wrapper);
        Eventually.await(WAIT, "the wrapper exits", () -> !wrapper.isAlive());
        JobStatus status = RemoteJobs.parseStatus(Files.readString(job.resolve("status")));
        assertEquals(JobStatus.Stage.INTERRUPTED, status.stage());
        assertTrue(status.stage().ended());
        assertEquals("interrupted", status.stage().word());
        assertEquals(java.util.Optional.of(143), status.exitCode());
    }

    @Test
    void aJobThatBringsFilesBackKeepsWhatMatchesWhenItEndsFailedOrNotAndFollowsNoLink() throws Exception {
        Path script = home.resolve("run.sh");
        try (InputStream in = RemoteJobs.class.getResourceAsStream("run.sh")) {
            Files.write(script, in.readAllBytes());
        }
        Path job = Files.createDirectories(home.resolve("job"));
        Path work = Files.createDirectories(job.resolve("in"));
        Files.writeString(work.resolve("input.txt"), "as synced\n");
        Path secret = Files.createDirectories(home.resolve("outside"));
        Files.writeString(secret.resolve("secret.txt"), "not the job's\n");
        Files.writeString(job.resolve("command.sh"), "mkdir -p out/deep/er; echo a > out/a.txt; echo b > out/deep/er/b;"
                + " ln -s \"$HOME/outside\" out/link; ln -s \"$HOME/outside/secret.txt\" out/file-link;"
                + " mkfifo out/pipe; echo more >> input.txt; echo no > elsewhere.txt; exit 7\n");
        Files.writeString(job.resolve(JobOutputs.GLOBS_FILE), OutputGlobs.parse(List.of("out/**", "input.txt"))
                .findRegex() + "\n");
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), job.toString(), "job/in", "keep")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true);
        builder.environment().put("HOME", home.toString());
        Process wrapper = builder.start();
        wrappers.add(wrapper);

        assertTrue(wrapper.waitFor(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS), "the wrapper exits");
        assertEquals(7, wrapper.exitValue());
        assertEquals(JobStatus.Stage.FAILED, RemoteJobs.parseStatus(Files.readString(job.resolve("status"))).stage());
        assertFalse(Files.exists(work), "the work directory goes as before");
        Path kept = job.resolve(JobOutputs.KEPT_DIR);
        assertEquals("a\n", Files.readString(kept.resolve("out/a.txt")));
        assertEquals("b\n", Files.readString(kept.resolve("out/deep/er/b")));
        assertEquals("as synced\nmore\n", Files.readString(kept.resolve("input.txt")));
        assertFalse(Files.exists(kept.resolve("elsewhere.txt")), "only what matches");
        try (var all = Files.walk(kept)) {
            assertEquals(List.of(), all.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList(), "no link, no pipe");
        }
        try (var all = Files.walk(kept)) {
            assertFalse(all.anyMatch(p -> p.getFileName().toString().equals("secret.txt")), "no link followed");
        }
        List<String> hashes = List.of(Files.readString(job.resolve("out.sha256")).split("\0"));
        assertEquals(List.of("input.txt", "out/a.txt", "out/deep/er/b"),
                JobOutputs.parseHashes(hashes).stream().map(JobOutputs.Kept::path).sorted().toList());
        assertTrue(hashes.contains(io.cgrender.core.sync.FileHashes.sha256Hex("a\n") + "  out/a.txt"),
                hashes.toString());
        assertEquals(java.util.Set.of("l out/link", "l out/file-link", "p out/pipe"),
                java.util.Set.of(Files.readString(job.resolve("out.skipped")).split("\0")));
    }

    /** Alive and not a zombie (an orphan's parent may reap it late). */
    private static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean nonEmpty(Path file) {
        try {
            return Files.size(file) > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
