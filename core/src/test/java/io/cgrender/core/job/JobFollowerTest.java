package io.cgrender.core.job;

import io.cgrender.core.cloud.Eventually;
import io.cgrender.core.ssh.LoopbackBox;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link JobFollower} against a real OpenSSH server on this machine, whose connection is cut while it follows. */
class JobFollowerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path classDir;
    private static LoopbackBox box;
    private final ExecutorService pool = Executors.newSingleThreadExecutor();
    private String id;

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

    @AfterEach
    void removeJob() {
        pool.shutdownNow();
        if (id != null) {
            LoopbackBox.deleteTree(box.home().resolve(RemoteJobs.jobDir(id)));
        }
    }

    @Test
    void aFollowThatLosesItsConnectionGoesOnWhereItStoppedOverANewOne() throws Exception {
        String workdir = box.newRemoteDir();
        Path work = Files.createDirectories(box.local(workdir));
        id = JobIds.next();
        new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT).start(new JobSpec(id, workdir, "echo first\n"
                + "for i in $(seq 1000); do [ -e go ] && break; sleep 0.02; done\necho second", After.KEEP));
        JobRecord record = new JobRecord(id, "run", "local", "/tester/", LoopbackBox.ALIAS, "test-box", "a job",
                Instant.now(), JobStatus.Stage.RUNNING, List.of(), Map.of());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Console console = new Console(new PrintWriter(out, true), new PrintWriter(err, true), false);
        AtomicInteger reconnects = new AtomicInteger();

        Future<RemoteJobs> following = pool.submit(() -> JobFollower.follow(
                new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT), record, console.out(), console, false, WAIT,
                lost -> {
                    reconnects.incrementAndGet();
                    return new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT);
                }));
        Eventually.await(WAIT, "the first line arrives", () -> out.toString().equals("first\n"));
        box.disconnect(); // the connection goes, as when a network drops
        Files.createFile(work.resolve("go"));
        RemoteJobs last = following.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertEquals("first\nsecond\n", out.toString(), "every line once, in order");
        assertEquals(1, reconnects.get());
        assertTrue(err.toString().contains("lost the connection to " + LoopbackBox.ALIAS + " while following job "
                + id + "; connecting again"), err.toString());
        assertEquals(JobStatus.Stage.SUCCEEDED, last.status(id).stage());
    }

    @Test
    void aFollowThatCannotConnectAgainSaysWhatBecameOfTheJob() throws IOException {
        String workdir = box.newRemoteDir();
        Files.createDirectories(box.local(workdir));
        id = JobIds.next();
        new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT).start(new JobSpec(id, workdir, "sleep 30", After.KEEP));
        JobRecord record = new JobRecord(id, "run", "local", "/tester/", LoopbackBox.ALIAS, "test-box", "a job",
                Instant.now(), JobStatus.Stage.RUNNING, List.of(), Map.of());
        Console console = Console.silent();
        RemoteJobs jobs = new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT);

        Future<RemoteJobs> following = pool.submit(() -> JobFollower.follow(jobs, record, console.out(), console,
                false, WAIT, lost -> {
                    throw new io.cgrender.core.CgrenderException("job " + id + " is lost: its box is dead");
                }));
        Eventually.await(WAIT, "the follow runs", () -> Files.exists(box.home().resolve(RemoteJobs.jobDir(id))
                .resolve("log")));
        box.disconnect();

        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> following.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals("job " + id + " is lost: its box is dead", e.getCause().getMessage());
        new RemoteJobs(box.connect(), LoopbackBox.TIMEOUT).cancel(id);
    }
}
