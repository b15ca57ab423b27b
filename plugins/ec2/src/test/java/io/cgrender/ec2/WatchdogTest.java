package io.cgrender.ec2;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.job.JobProcess;
import io.cgrender.core.ns.Namespace;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The on-box watchdog as the user data installs it, run for real (one check, {@code --once}) with the shutdown
 * command, the home directory and the SSH port pointed at a temporary directory.
 */
class WatchdogTest {

    @TempDir
    Path dir;
    private Path script;
    private Path home;
    private Path state;
    private Path shutdown;

    private static LaunchSpec spec(Duration idle) {
        Namespace ns = Namespace.parse("/watch/", null);
        return new LaunchSpec(ns, "openscad-ubuntu-box", MachineSpec.ubuntu(2, 4, 16, "c6i.large"), Map.of(),
                "ssh-ed25519 AAAA", idle, Duration.ofHours(8), Optional.empty(), Optional.empty(), false);
    }

    @BeforeEach
    void install() throws IOException {
        home = Files.createDirectories(dir.resolve("home"));
        state = dir.resolve("state");
        shutdown = dir.resolve("shutdown-ran");
        script = dir.resolve("watchdog.sh");
        Files.writeString(script, UserData.watchdog(spec(Duration.ofMinutes(30)), Instant.now().plusSeconds(3600)));
    }

    @Test
    void theUserDataInstallsTheWatchdogAsAServiceWithTheBoxsLimits() {
        Instant expires = Instant.parse("2030-01-02T03:04:05Z");
        String script = UserData.script(spec(Duration.ofMinutes(30)), expires);
        assertTrue(script.startsWith("#!/bin/bash\n"), "cloud-init runs it as a script");
        assertTrue(script.contains("idle_seconds=\"${CGRENDER_IDLE_SECONDS:-1800}\""), script);
        assertTrue(script.contains("expires_at=\"${CGRENDER_EXPIRES_AT:-" + expires.getEpochSecond() + "}\""));
        assertTrue(script.contains("login_user=\"${CGRENDER_LOGIN_USER:-ubuntu}\""));
        assertTrue(script.contains("jobs_dir=\"$home/.cgrender/jobs\""));
        assertTrue(script.contains("after_file=\"$home/.cgrender/after-job\""));
        assertTrue(script.contains("shutdown -h now"));
        assertTrue(script.contains("systemctl enable cgrender-boot.service cgrender-watchdog.service\n"
                + "# restart, not enable --now"), script);
        assertTrue(script.contains("systemctl restart cgrender-watchdog.service"));
        assertFalse(script.contains("@"), "every placeholder is filled: " + script.lines().filter(l -> l.contains("@"))
                .toList());
        assertTrue(script.length() < 16 * 1024, "EC2 takes at most 16 KB of user data");
        assertEquals(0, OsCommand.run(Duration.ofSeconds(10), "bash", "-n", "-c", script).exitCode(),
                "valid bash");
    }

    @Test
    void aBusyBoxIsLeftAloneAndAnIdleOneEnds() throws Exception {
        Files.createDirectories(state);
        long now = Instant.now().getEpochSecond();
        Files.writeString(state.resolve("last-busy"), Long.toString(now - 60));
        assertEquals("", run(Map.of("CGRENDER_IDLE_SECONDS", "120")), "idle for 60 of 120 s");
        assertFalse(Files.exists(shutdown));

        Files.writeString(state.resolve("last-busy"), Long.toString(now - 600));
        Process job = new ProcessBuilder("sleep", "30").start();
        try {
            Path jobDir = Files.createDirectories(home.resolve(".cgrender/jobs/j-1"));
            Files.writeString(jobDir.resolve("pid"), Long.toString(job.pid()));
            run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
            assertFalse(Files.exists(shutdown), "a running job keeps the box");
            long busy = Long.parseLong(Files.readString(state.resolve("last-busy")).strip());
            assertTrue(busy >= now, "the job made it busy now");
        } finally {
            job.destroy();
            job.waitFor();
        }
        Files.writeString(state.resolve("last-busy"), Long.toString(now - 600));
        String log = run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
        assertTrue(Files.exists(shutdown), "the job is over and the box idle for 600 s: " + log);
        assertTrue(log.contains("idle for"), log);
    }

    @Test
    void aJobPidReusedByAnotherProcessDoesNotKeepTheBox() throws Exception {
        Files.createDirectories(state);
        Files.writeString(state.resolve("last-busy"), Long.toString(Instant.now().getEpochSecond() - 600));
        Process stranger = new ProcessBuilder("sleep", "30").start();
        try {
            Path jobDir = Files.createDirectories(home.resolve(".cgrender/jobs/j-4"));
            String startTime = JobProcess.startTime(stranger.pid()).orElseThrow();
            Files.writeString(jobDir.resolve("pid"), stranger.pid() + " " + startTime + "\n");
            run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
            assertFalse(Files.exists(shutdown), "the job's own process keeps the box");

            Files.writeString(state.resolve("last-busy"), Long.toString(Instant.now().getEpochSecond() - 600));
            Files.writeString(jobDir.resolve("pid"), stranger.pid() + " " + (Long.parseLong(startTime) + 1) + "\n");
            String log = run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
            assertTrue(Files.exists(shutdown), "a live process with the job's pid but not its start time is no job: "
                    + log);
            assertTrue(stranger.isAlive());
        } finally {
            stranger.destroy();
            stranger.waitFor();
        }
    }

    @Test
    void anOpenSshSessionKeepsTheBox() throws Exception {
        io.cgrender.testkit.Requirement.require(OsCommand.run(Duration.ofSeconds(10), "sh", "-c",
                "command -v ss").exitCode() == 0, "ss (iproute2) is not installed, and the watchdog counts sessions"
                + " with it");
        Files.createDirectories(state);
        Files.writeString(state.resolve("last-busy"), Long.toString(Instant.now().getEpochSecond() - 600));
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress());
             java.net.Socket client = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(),
                     server.getLocalPort());
             java.net.Socket accepted = server.accept()) {
            run(Map.of("CGRENDER_IDLE_SECONDS", "120", "CGRENDER_SSH_PORT", Integer.toString(server.getLocalPort())));
            assertFalse(Files.exists(shutdown), "an established connection to the SSH port is a session");
        }
    }

    @Test
    void theMaxLifetimeEndsTheBoxWhateverItDoes() throws Exception {
        Process job = new ProcessBuilder("sleep", "30").start();
        try {
            Path jobDir = Files.createDirectories(home.resolve(".cgrender/jobs/j-2"));
            Files.writeString(jobDir.resolve("pid"), Long.toString(job.pid()));
            String log = run(Map.of("CGRENDER_EXPIRES_AT", Long.toString(Instant.now().getEpochSecond() - 1)));
            assertTrue(Files.exists(shutdown), log);
            assertTrue(log.contains("max lifetime reached"), log);
        } finally {
            job.destroy();
            job.waitFor();
        }
    }

    @Test
    void anAfterJobRequestWaitsForTheLastJobAndThenEndsTheBox() throws Exception {
        Files.createDirectories(home.resolve(".cgrender"));
        Files.writeString(home.resolve(".cgrender/after-job"), "stop\n");
        Process job = new ProcessBuilder("sleep", "30").start();
        try {
            Path jobDir = Files.createDirectories(home.resolve(".cgrender/jobs/j-3"));
            Files.writeString(jobDir.resolve("pid"), Long.toString(job.pid()));
            run(Map.of());
            assertFalse(Files.exists(shutdown), "another job still runs");
            assertTrue(Files.exists(home.resolve(".cgrender/after-job")), "the request is kept for later");
        } finally {
            job.destroy();
            job.waitFor();
        }
        String log = run(Map.of("CGRENDER_AWS", dir.resolve("no-aws-cli").toString()));
        assertTrue(Files.exists(shutdown), log);
        assertTrue(log.contains("the last job asked to stop the box, but it cannot stop itself without an instance"
                + " profile (the AWS CLI is not installed)"), log);
        assertFalse(Files.exists(home.resolve(".cgrender/after-job")), "the request is used up");
    }

    @Test
    void aStopRequestStopsTheInstanceThroughTheEc2ApiWithItsInstanceProfile() throws Exception {
        Files.createDirectories(home.resolve(".cgrender"));
        Files.writeString(home.resolve(".cgrender/after-job"), "stop\n");
        Path calls = dir.resolve("aws-calls");
        Path aws = Files.writeString(dir.resolve("aws"), "#!/bin/sh\necho \"$@\" >> " + calls + "\n");
        aws.toFile().setExecutable(true);
        String log = run(Map.of("CGRENDER_AWS", aws.toString(), "AWS_ENDPOINT_URL", "http://127.0.0.1:9"));
        assertEquals("ec2 stop-instances --instance-ids i-0123456789abcdef0 --region eu-west-1 --endpoint-url"
                + " http://127.0.0.1:9\n", Files.readString(calls));
        assertFalse(Files.exists(shutdown), "stopped, not shut down: " + log);
        assertTrue(log.contains("stopping i-0123456789abcdef0 through the EC2 API (instance profile)"), log);

        Files.writeString(home.resolve(".cgrender/after-job"), "stop\n");
        Path refusing = Files.writeString(dir.resolve("aws-refusing"), "#!/bin/sh\necho 'Unable to locate"
                + " credentials. You can configure credentials by running \"aws configure\".' >&2\nexit 253\n");
        refusing.toFile().setExecutable(true);
        String refused = run(Map.of("CGRENDER_AWS", refusing.toString()));
        assertTrue(Files.exists(shutdown), "a box that cannot stop itself ends: " + refused);
        assertTrue(refused.contains("cannot stop itself without an instance profile (Unable to locate credentials."),
                refused);
    }

    /** One check of the watchdog; returns what it logged. */
    private String run(Map<String, String> overrides) {
        List<String> command = new ArrayList<>(List.of("env",
                "CGRENDER_HOME=" + home,
                "CGRENDER_STATE_DIR=" + state,
                "CGRENDER_SSH_PORT=1",
                "CGRENDER_SHUTDOWN=touch " + shutdown,
                "CGRENDER_INSTANCE_ID=i-0123456789abcdef0",
                "CGRENDER_REGION=eu-west-1"));
        overrides.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of("bash", script.toString(), "--once"));
        OsCommand.Result r = OsCommand.run(Duration.ofSeconds(30), command);
        assertEquals(0, r.exitCode(), r.stderr());
        return r.stdout();
    }
}
