package io.cgrender.local;

import io.cgrender.core.cloud.Eventually;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAccess;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.job.After;
import io.cgrender.core.job.JobIds;
import io.cgrender.core.job.JobSpec;
import io.cgrender.core.job.JobProcess;
import io.cgrender.core.job.JobStatus;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.os.ProcessIdentity;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.SshTarget;
import io.cgrender.core.ui.Progress;
import io.cgrender.local.host.BoxDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --after stop|terminate|keep} on real local boxes: the job (RemoteJobs' wrapper) leaves its request, and the
 * box host carries it out once no job runs and no SSH session is open.
 */
class AfterJobTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** Three watchdog ticks. */
    private static final Duration A_WHILE = Duration.ofMillis(1500);
    private static final String AWAIT_GO = "for i in $(seq 1500); do [ -e go ] && exit 0; sleep 0.02; done; exit 1";

    @TempDir
    Path temp;
    private LocalBoxes boxes;
    private MinaSshConnector connector;

    @BeforeEach
    void openCloud() {
        boxes = new LocalBoxes(temp);
        connector = new MinaSshConnector(boxes.knownHosts);
    }

    @AfterEach
    void terminateEverything() {
        connector.close();
        boxes.close();
    }

    @Test
    void afterStopTheBoxStopsOnceTheJobEndedAndTheClientLeftKeepingItsHome() throws IOException {
        Machine machine = boxes.launchRunning();
        BoxDir box = boxes.box(machine.id());
        ProcessHandle host = boxes.host(machine.id());
        RemoteJobs jobs = jobs(machine);

        String id = start(jobs, box, "echo rendered > result.txt", After.STOP);
        assertEquals(JobStatus.Stage.SUCCEEDED, awaitEnd(jobs, id).stage());

        assertEquals("stop", Files.readString(box.afterJobFile()).strip());
        Eventually.holdsFor(A_WHILE, "the box waits while the client is still attached (it may be fetching results)",
                () -> state(machine) == MachineState.RUNNING);

        connector.disconnect(machine.id());

        Eventually.await(TIMEOUT, machine.id() + " stops once the client left",
                () -> state(machine) == MachineState.STOPPED);
        Eventually.await(TIMEOUT, "the host process exits", () -> !ProcessIdentity.isRunning(host.pid()));
        assertEquals("rendered\n", Files.readString(box.home().resolve("work/result.txt")), "the home is kept");
        assertFalse(Files.exists(box.afterJobFile()), "the request was carried out");
    }

    @Test
    void afterTerminateTheBoxIsGoneOnceTheJobEndedAndTheClientLeft() {
        Machine machine = boxes.launchRunning();
        BoxDir box = boxes.box(machine.id());
        RemoteJobs jobs = jobs(machine);

        String id = start(jobs, box, "exit 3", After.TERMINATE);
        assertEquals(JobStatus.Stage.FAILED, awaitEnd(jobs, id).stage(), "a failed job ends the box too");
        Eventually.holdsFor(A_WHILE, "the box waits while the client is still attached",
                () -> state(machine) == MachineState.RUNNING);

        connector.disconnect(machine.id());

        Eventually.await(TIMEOUT, machine.id() + " terminates once the client left",
                () -> boxes.cloud.find(machine.id()).isEmpty() && !Files.exists(box.root()));
    }

    @Test
    void afterKeepTheBoxKeepsRunning() {
        Machine machine = boxes.launchRunning();
        BoxDir box = boxes.box(machine.id());
        RemoteJobs jobs = jobs(machine);

        String id = start(jobs, box, "true", After.KEEP);
        assertEquals(JobStatus.Stage.SUCCEEDED, awaitEnd(jobs, id).stage());
        connector.disconnect(machine.id());

        Eventually.holdsFor(A_WHILE, "the box runs on", () -> state(machine) == MachineState.RUNNING);
        assertFalse(Files.exists(box.afterJobFile()));
    }

    @Test
    void aRunningJobHoldsTheStopBackUntilItEnds() throws IOException {
        Machine machine = boxes.launchRunning();
        BoxDir box = boxes.box(machine.id());
        RemoteJobs jobs = jobs(machine);
        String id = start(jobs, box, AWAIT_GO, After.STOP);

        connector.disconnect(machine.id());
        Eventually.holdsFor(A_WHILE, "the box runs while its job runs, client or not",
                () -> state(machine) == MachineState.RUNNING);
        assertTrue(JobProcess.isAlive(box.home().resolve(RemoteJobs.jobDir(id)).resolve(JobProcess.PID_FILE)),
                "the job outlived the session that started it");
        Files.createFile(box.home().resolve("work/go"));

        Eventually.await(TIMEOUT, machine.id() + " stops once the job ended",
                () -> state(machine) == MachineState.STOPPED);
        assertEquals(JobStatus.Stage.SUCCEEDED, parseStatus(box, id).stage());
    }

    /**
     * Stopping a box cancels its jobs, and a job started with {@code --after stop} asks, as it ends, for the box to
     * stop: that request must not stop the box again when it is next started.
     */
    @Test
    void aRequestLeftByAJobTheStopCancelledDoesNotStopTheRestartedBox() throws IOException {
        Machine machine = boxes.launchRunning();
        BoxDir box = boxes.box(machine.id());
        RemoteJobs jobs = jobs(machine);
        String id = start(jobs, box, AWAIT_GO, After.STOP);
        connector.disconnect(machine.id());

        boxes.cloud.stop(machine.id(), LocalBoxes.GONE, Progress.NONE);
        assertEquals(JobStatus.Stage.CANCELLED, parseStatus(box, id).stage());
        assertEquals("stop", Files.readString(box.afterJobFile()).strip(), "the cancelled job left its request");

        boxes.cloud.start(machine.id(), LocalBoxes.RUNNING, Progress.NONE);

        Eventually.holdsFor(A_WHILE, "the restarted box runs until someone uses it",
                () -> state(machine) == MachineState.RUNNING);
        assertFalse(Files.exists(box.afterJobFile()));
    }

    @Test
    void aBoxFromAnImageDoesNotCarryOutARequestOfTheImagedBox() throws IOException {
        Machine machine = boxes.launchRunning();
        BoxDir box = boxes.box(machine.id());
        RemoteJobs jobs = jobs(machine);
        String id = start(jobs, box, "true", After.TERMINATE);
        awaitEnd(jobs, id);
        var image = boxes.cloud.images().orElseThrow().create(machine, java.util.Map.of(), LocalBoxes.GONE,
                Progress.NONE);
        try {
            Machine copy = boxes.launch(boxes.spec("test-box", Duration.ofMinutes(10), Duration.ofHours(1),
                    Optional.of(image.id())));
            boxes.cloud.awaitRunning(copy.id(), LocalBoxes.RUNNING, Progress.NONE);

            Eventually.holdsFor(A_WHILE, "the new box runs until someone uses it",
                    () -> state(copy) == MachineState.RUNNING);
        } finally {
            boxes.cloud.images().orElseThrow().delete(image.id());
        }
    }

    /** The job contract end to end: a live wrapper's pid file keeps an idle box from ending itself. */
    @Test
    void aRunningJobHoldsOffTheIdleWatchdog() throws IOException {
        Duration idle = Duration.ofSeconds(1);
        Machine machine = boxes.launchRunning(idle, Duration.ofHours(1));
        BoxDir box = boxes.box(machine.id());
        RemoteJobs jobs = jobs(machine);
        start(jobs, box, AWAIT_GO, After.KEEP);
        connector.disconnect(machine.id());

        Eventually.holdsFor(idle.plusSeconds(1), "the box runs while its job runs, past its idle timeout",
                () -> state(machine) == MachineState.RUNNING);
        Files.createFile(box.home().resolve("work/go"));

        Eventually.await(TIMEOUT, machine.id() + " ends itself once idle after the job",
                () -> boxes.cloud.find(machine.id()).isEmpty());
    }

    // ---------------------------------------------------------------- helpers

    private RemoteJobs jobs(Machine machine) {
        MachineAccess access = boxes.cloud.accessFor(machine);
        RemoteHost host = connector.connect(new SshTarget(machine.id(), access.endpoint(), boxes.key.keyPair(),
                () -> access.hostKeys().trustedFingerprints(machine, TIMEOUT, Progress.NONE)), TIMEOUT,
                Progress.NONE);
        return new RemoteJobs(host, TIMEOUT);
    }

    private static String start(RemoteJobs jobs, BoxDir box, String command, After after) {
        try {
            Files.createDirectories(box.home().resolve("work"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String id = JobIds.next();
        jobs.start(new JobSpec(id, "work", command, after));
        return id;
    }

    private static JobStatus awaitEnd(RemoteJobs jobs, String id) {
        return Eventually.value(TIMEOUT, "job " + id + " ends", () -> {
            JobStatus s = jobs.status(id);
            return s.stage().ended() ? Optional.of(s) : Optional.empty();
        });
    }

    /** The job's status file, read here. */
    private static JobStatus parseStatus(BoxDir box, String id) throws IOException {
        String text = Files.readString(box.home().resolve(RemoteJobs.jobDir(id)).resolve("status"));
        JobStatus.Stage stage = JobStatus.Stage.valueOf(text.lines().filter(l -> l.startsWith("stage="))
                .findFirst().orElseThrow().substring(6).toUpperCase());
        return new JobStatus(stage, Optional.empty(), Optional.empty(), Optional.empty());
    }

    private MachineState state(Machine machine) {
        return boxes.cloud.find(machine.id()).map(Machine::state).orElse(null);
    }
}
