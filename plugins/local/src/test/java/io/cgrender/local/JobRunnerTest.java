package io.cgrender.local;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;
import io.cgrender.core.cloud.Eventually;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.config.Settings;
import io.cgrender.core.job.After;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.JobRecords;
import io.cgrender.core.job.JobRunner;
import io.cgrender.core.job.JobStatus;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.sync.FileSync;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cgrender run}'s engine on a real local box: sync, detached job, streamed output, exit code, records. */
class JobRunnerTest {

    /** Nothing to set up: any machine will do. */
    @Role(name = "job-runner-test-box", description = "test role: no setup")
    public static final class PlainBox extends Box {
        @Override
        public MachineSpec machineSpec() {
            return MachineSpec.ubuntu(1, 1, 8, "t3.micro");
        }

        @Override
        protected void setup(RemoteHost host) {
        }
    }

    @TempDir
    Path temp;
    private LocalBoxes boxes;
    private MinaSshConnector connector;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private BoxEnvironment env;
    private JobRecords records;
    private JobRunner runner;
    private Path workdir;
    private final Box box = new PlainBox();

    @BeforeEach
    void environment() throws IOException {
        boxes = new LocalBoxes(temp);
        connector = new MinaSshConnector(boxes.knownHosts);
        env = new BoxEnvironment(boxes.cloud, boxes.namespace, boxes.key, boxes.knownHosts, connector,
                Settings.defaults(), new Console(new PrintWriter(out, true), new PrintWriter(err, true), true));
        records = new JobRecords(temp.resolve("state/jobs"));
        runner = new JobRunner(env, records, new FileSync(temp.resolve("state/sync"), new FileHashes()), temp);
        workdir = Files.createDirectories(temp.resolve("project"));
        Files.writeString(workdir.resolve("input.txt"), "hello\n");
        Files.createDirectories(workdir.resolve("sub"));
        Files.writeString(workdir.resolve("sub/data.txt"), "data\n");
    }

    @AfterEach
    void terminateEverything() {
        connector.close();
        boxes.cloud.describe(MachineFilter.of(boxes.namespace)).forEach(m -> boxes.adopt(m.id()));
        boxes.close();
    }

    @Test
    void runSyncsTheWorkdirRunsThereStreamsTheOutputAndReturnsTheExitCode() throws IOException {
        int exit = runner.run(box, Optional.of(workdir),
                List.of("bash", "-c", "cat input.txt; realpath sub/data.txt; echo oops >&2; exit 5"),
                After.KEEP, false, false, Optional.empty());

        assertEquals(5, exit);
        assertEquals("hello\n" + workdir.resolve("sub/data.txt") + "\noops\n", out.toString(),
                "the job's output, box paths shown as the local ones");
        assertTrue(err.toString().contains("2 file(s)"), err.toString());
        List<JobRecord> all = records.all();
        assertEquals(1, all.size());
        assertEquals(JobStatus.Stage.FAILED, all.get(0).stage());
        Machine machine = onlyBox();
        assertEquals(machine.id(), all.get(0).boxId());

        // Again on the same box: only the changed file travels.
        Files.writeString(workdir.resolve("input.txt"), "changed\n");
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);

        assertEquals(0, runner.run(box, Optional.of(workdir), List.of("cat", "input.txt", "sub/data.txt"),
                After.KEEP, false, false, Optional.empty()));
        assertEquals("changed\ndata\n", out.toString());
        assertTrue(err.toString().contains(": 1 file(s)") && err.toString().contains("1 unchanged"), err.toString());
        assertEquals(machine.id(), onlyBox().id(), "the box was reused");
        assertEquals(JobStatus.Stage.SUCCEEDED, records.all().get(0).stage());
    }

    @Test
    void aDetachedRunReturnsAtOnceWithTheJobId() {
        int exit = runner.run(box, Optional.empty(), List.of("bash", "-c", "for i in $(seq 1500); do [ -e go ]"
                + " && exit 0; sleep 0.02; done; exit 1"), After.KEEP, true, false, Optional.empty());

        assertEquals(0, exit);
        String id = out.toString().strip();
        JobRecord record = records.get(id);
        assertEquals(JobStatus.Stage.RUNNING, record.stage());
        RemoteJobs jobs = new RemoteJobs(env.connect(onlyBox()), Duration.ofSeconds(20));
        assertEquals(JobStatus.Stage.RUNNING, jobs.status(id).stage(), "the job runs on after run returned");
        try {
            Files.createFile(boxes.box(record.boxId()).home().resolve("go"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Eventually.await(Duration.ofSeconds(20), "the detached job ends",
                () -> jobs.status(id).stage() == JobStatus.Stage.SUCCEEDED);
    }

    @Test
    void aRunningJobKeepsItsOwnFilesWhileAnotherRunSyncsChangedOnesIntoTheSameBox() throws IOException {
        assertEquals(0, runner.run(box, Optional.of(workdir), List.of("bash", "-c", "for i in $(seq 1500); do"
                + " [ -e \"$HOME/go\" ] && break; sleep 0.02; done; cat input.txt; echo more >> input.txt"),
                After.KEEP, true, false, Optional.empty()));
        String first = out.toString().strip();
        Files.writeString(workdir.resolve("input.txt"), "second\n");
        out.getBuffer().setLength(0);

        assertEquals(0, runner.run(box, Optional.of(workdir), List.of("cat", "input.txt"), After.KEEP, false,
                false, Optional.empty()));
        assertEquals("second\n", out.toString(), "the second run sees the files as they are now");
        Machine machine = onlyBox();
        Files.createFile(boxes.box(machine.id()).home().resolve("go"));
        RemoteJobs jobs = new RemoteJobs(env.connect(machine), Duration.ofSeconds(20));
        Eventually.await(Duration.ofSeconds(20), "the first job ends",
                () -> jobs.status(first).stage() == JobStatus.Stage.SUCCEEDED);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        jobs.printLog(first, log);

        assertEquals("hello\n", log.toString(java.nio.charset.StandardCharsets.UTF_8),
                "the first job read the files it was started with");
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        assertEquals(0, runner.run(box, Optional.of(workdir), List.of("cat", "input.txt"), After.KEEP, false,
                false, Optional.empty()));
        assertEquals("second\n", out.toString(), "what the first job wrote into its copy stayed there");
        assertTrue(err.toString().contains(": 0 file(s)"), "and nothing had to be sent again: " + err);
    }

    @Test
    void noCommandOrNoDirectoryIsAUsageErrorBeforeAnyBoxIsLaunched() {
        UsageException noCommand = assertThrows(UsageException.class,
                () -> runner.run(box, Optional.of(workdir), List.of(), After.KEEP, false, false, Optional.empty()));
        assertTrue(noCommand.getMessage().contains("cgrender run job-runner-test-box -- "), noCommand.getMessage());
        UsageException noDir = assertThrows(UsageException.class,
                () -> runner.run(box, Optional.of(temp.resolve("missing")), List.of("true"), After.KEEP, false,
                        false, Optional.empty()));
        assertTrue(noDir.getMessage().contains("missing"), noDir.getMessage());
        assertTrue(boxes.cloud.describe(MachineFilter.of(boxes.namespace)).isEmpty());
    }

    private Machine onlyBox() {
        List<Machine> machines = boxes.cloud.describe(MachineFilter.of(boxes.namespace));
        assertEquals(1, machines.size(), machines.toString());
        return machines.get(0);
    }
}
