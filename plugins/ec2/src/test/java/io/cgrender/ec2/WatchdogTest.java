package io.cgrender.ec2;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.job.JobProcess;
import io.cgrender.core.ns.Namespace;
import io.cgrender.testkit.LocalSshd;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Requirement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
            Files.writeString(jobDir.resolve("pid"), record(job));
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
    void aPidFileNamingNoJobDoesNotKeepTheBox() throws Exception {
        Files.createDirectories(state);
        Process stranger = new ProcessBuilder("sleep", "30").start();
        try {
            for (String record : List.of("-1", "garbage", "1", Long.toString(stranger.pid()),
                    stranger.pid() + " " + JobProcess.startTime(stranger.pid()).orElseThrow() + " extra", "")) {
                Files.writeString(state.resolve("last-busy"), Long.toString(Instant.now().getEpochSecond() - 600));
                Path jobDir = Files.createDirectories(home.resolve(".cgrender/jobs/j-5"));
                Files.writeString(jobDir.resolve("pid"), record + "\n");
                Files.deleteIfExists(shutdown);
                String log = run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
                assertTrue(Files.exists(shutdown), "a pid file holding '" + record + "' is no running job: " + log);
            }
        } finally {
            stranger.destroy();
            stranger.waitFor();
        }
    }

    @Test
    void onlyALoggedInSshSessionKeepsTheBox() throws Exception {
        Requirement.require("root".equals(System.getProperty("user.name")), "sshd for another user needs root");
        Requirement.require(OsCommand.run(Duration.ofSeconds(10), "id", "-u", "nobody").exitCode() == 0,
                "there is no user 'nobody' to log in as");
        Files.createDirectories(state);
        // Keys where 'nobody' may read them: sshd reads authorized_keys with the user's rights.
        Path keys = Files.createTempDirectory("cgrender-watchdog-keys",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            Path key = keys.resolve("id_ed25519");
            OsCommand.run(Duration.ofSeconds(20), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                    .requireSuccess();
            Path authorized = Files.copy(keys.resolve("id_ed25519.pub"), keys.resolve("authorized_keys"));
            Files.setPosixFilePermissions(authorized, PosixFilePermissions.fromString("rw-r--r--"));
            try (LocalSshd sshd = LocalSshd.startFor("nobody", authorized.toString())) {
                Map<String, String> asNobody = Map.of("CGRENDER_IDLE_SECONDS", "120", "CGRENDER_LOGIN_USER", "nobody");
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), sshd.port())) {
                    socket.setSoTimeout(5000);
                    assertTrue(new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream()))
                            .readLine().startsWith("SSH-2.0-"), "sshd answered");
                    idleFor(600);
                    String log = run(asNobody);
                    assertTrue(Files.exists(shutdown), "a connection that never logged in is no session: " + log);
                }

                Files.delete(shutdown);
                Process session = new ProcessBuilder("ssh", "-N", "-F", "none", "-i", key.toString(),
                        "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                        "-o", "UserKnownHostsFile=/dev/null", "-p", Integer.toString(sshd.port()),
                        "nobody@" + LocalSshd.HOST).redirectErrorStream(true).start();
                try {
                    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                    while (!sshd.log().contains("Accepted publickey for nobody")) {
                        assertTrue(session.isAlive() && System.nanoTime() < deadline,
                                "ssh -N logged in: " + sshd.log());
                        Thread.sleep(50);
                    }
                    idleFor(600);
                    run(asNobody);
                    assertFalse(Files.exists(shutdown), "a logged-in session keeps the box");
                } finally {
                    session.destroy();
                    session.waitFor();
                }
            }
        } finally {
            OsCommand.run(Duration.ofSeconds(10), "rm", "-rf", keys.toString());
        }
    }

    @Test
    void theAfterJobFileIsNeverReadThroughALinkNorWithRootsRights() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "TOPSECRET\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Files.createDirectories(home.resolve(".cgrender"));
        Path request = home.resolve(".cgrender/after-job");
        Files.createSymbolicLink(request, secret);

        String log = run(Map.of());

        assertFalse(log.contains("TOPSECRET"), log);
        assertTrue(log.contains("refusing " + request), log);
        assertFalse(Files.exists(request, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the request is used up");
        assertEquals("TOPSECRET\n", Files.readString(secret), "the link's target is left alone");
        assertFalse(Files.exists(shutdown), log);

        if ("root".equals(System.getProperty("user.name"))
                && OsCommand.run(Duration.ofSeconds(10), "id", "-u", "nobody").exitCode() == 0) {
            // A hard link to a root-only file (where the kernel allows one): read as the login user, it is unreadable.
            Files.createLink(request, secret);
            OsCommand.run(Duration.ofSeconds(10), "chmod", "0711", dir.toString(), home.toString()).requireSuccess();
            OsCommand.run(Duration.ofSeconds(10), "chown", "nobody", home.resolve(".cgrender").toString())
                    .requireSuccess();
            String asNobody = run(Map.of("CGRENDER_LOGIN_USER", "nobody"));
            assertFalse(asNobody.contains("TOPSECRET"), asNobody);
            assertTrue(asNobody.contains("refusing " + request), asNobody);
        }
    }

    private void idleFor(long seconds) throws IOException {
        Files.writeString(state.resolve("last-busy"), Long.toString(Instant.now().getEpochSecond() - seconds));
    }

    /** A job's pid file for {@code process}, as run.sh writes it: pid and start time. */
    private static String record(Process process) {
        return process.pid() + " " + JobProcess.startTime(process.pid()).orElseThrow() + "\n";
    }

    @Test
    void aKeptBoxEndsNeitherAtItsExpiryNorWhenIdleAndAReleasedOneDoes() throws Exception {
        Files.createDirectories(state);
        long now = Instant.now().getEpochSecond();
        Map<String, String> expired = Map.of("CGRENDER_EXPIRES_AT", Long.toString(now - 60), "CGRENDER_IDLE_SECONDS",
                "120");
        idleFor(600);
        Files.writeString(state.resolve("kept"), Long.toString(now - 30) + "\n");
        String log = run(expired);
        assertFalse(Files.exists(shutdown), "kept: past its expiry and idle, it lives on: " + log);

        Files.writeString(state.resolve("kept"), "soon\n");
        run(expired);
        assertTrue(Files.exists(shutdown), "a kept file holding no instant keeps nothing");
        Files.delete(shutdown);

        Files.delete(state.resolve("kept"));
        log = run(Map.of("CGRENDER_EXPIRES_AT", Long.toString(now + 3600), "CGRENDER_IDLE_SECONDS", "120"));
        assertTrue(Files.exists(shutdown) && log.contains("idle for"), "released, the idle timer counts: " + log);
    }

    @Test
    void aBoxWithNoExpiryEndsOnlyWhenIdle() throws Exception {
        LaunchSpec expiring = spec(Duration.ofMinutes(30));
        LaunchSpec none = new LaunchSpec(expiring.namespace(), expiring.role(), expiring.machine(), expiring.tags(),
                expiring.authorizedKey(), expiring.idleTimeout(), expiring.maxLifetime(), expiring.orphanTimeout(),
                expiring.image(), expiring.instanceType(), false, false);
        String userData = UserData.script(none, Instant.now().minusSeconds(3600));
        assertTrue(userData.contains("expires_at=\"${CGRENDER_EXPIRES_AT:-}\""), userData);
        assertTrue(userData.contains("expires at never"), "the watchdog says so as it starts");
        assertEquals(0, OsCommand.run(Duration.ofSeconds(10), "bash", "-n", "-c", userData).exitCode());
        Files.writeString(script, UserData.watchdog(none, Instant.now().minusSeconds(3600)));
        Files.createDirectories(state);
        idleFor(60);
        String log = run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
        assertFalse(Files.exists(shutdown), "no max lifetime ends it: " + log);
        Files.writeString(state.resolve("expires-at"), Long.toString(Instant.now().getEpochSecond() - 10));
        run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
        assertFalse(Files.exists(shutdown), "nor an expiry file: it has no expiry to move");
        idleFor(600);
        log = run(Map.of("CGRENDER_IDLE_SECONDS", "120"));
        assertTrue(Files.exists(shutdown) && log.contains("idle for"), "its idle timer does: " + log);
    }

    @Test
    void theMaxLifetimeEndsTheBoxWhateverItDoes() throws Exception {
        Process job = new ProcessBuilder("sleep", "30").start();
        try {
            Path jobDir = Files.createDirectories(home.resolve(".cgrender/jobs/j-2"));
            Files.writeString(jobDir.resolve("pid"), record(job));
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
            Files.writeString(jobDir.resolve("pid"), record(job));
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

    @Test
    void theBoxReportsItsIdleTimerInItsTagWhenItChanges() throws Exception {
        Path calls = dir.resolve("aws-calls");
        Path aws = Files.writeString(dir.resolve("aws"), "#!/bin/sh\necho \"$@\" >> " + calls + "\n");
        aws.toFile().setExecutable(true);
        long lastBusy = Instant.now().getEpochSecond() - 120;
        Files.createDirectories(state);
        Files.writeString(state.resolve("last-busy"), Long.toString(lastBusy));
        run(Map.of("CGRENDER_AWS", aws.toString()));
        run(Map.of("CGRENDER_AWS", aws.toString()));
        String idle = "ec2 create-tags --resources i-0123456789abcdef0 --tags Key=cgrender:idle-since,Value="
                + Instant.ofEpochSecond(lastBusy) + " --region eu-west-1\n";
        assertEquals(idle, Files.readString(calls), "reported once, as long as it does not change");

        Process job = new ProcessBuilder("sleep", "30").start();
        try {
            Path jobDir = Files.createDirectories(home.resolve(".cgrender/jobs/j-4"));
            Files.writeString(jobDir.resolve("pid"), record(job));
            run(Map.of("CGRENDER_AWS", aws.toString()));
        } finally {
            job.destroy();
            job.waitFor();
        }
        assertEquals(idle + "ec2 create-tags --resources i-0123456789abcdef0 --tags Key=cgrender:idle-since,"
                + "Value=busy --region eu-west-1\n", Files.readString(calls));

        String log = run(Map.of("CGRENDER_AWS", dir.resolve("no-aws-cli").toString()));
        assertTrue(log.contains("cannot report the idle timer in the instance's tags (the AWS CLI is not installed);"
                + " clients see the idle timeout only"), log);
        assertFalse(Files.exists(shutdown), log);
    }

    /** One check of the watchdog; returns what it logged. */
    private String run(Map<String, String> overrides) {
        List<String> command = new ArrayList<>(List.of("env",
                "CGRENDER_HOME=" + home,
                "CGRENDER_STATE_DIR=" + state,
                "CGRENDER_LOGIN_USER=" + System.getProperty("user.name"),
                "CGRENDER_SHUTDOWN=touch " + shutdown,
                "CGRENDER_INSTANCE_ID=i-0123456789abcdef0",
                "CGRENDER_REGION=eu-west-1",
                "CGRENDER_AWS=true"));
        overrides.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of("bash", script.toString(), "--once"));
        OsCommand.Result r = OsCommand.run(Duration.ofSeconds(30), command);
        assertEquals(0, r.exitCode(), r.stderr());
        return r.stdout();
    }
}
