package io.cgrender.cli;

import io.cgrender.testkit.BusyboxImage;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Poll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cgrender run docker-ubuntu-box --docker IMAGE} end to end on the local cloud: the command runs in a container
 * of an image imported on the box (no registry is reachable), with the work directory at /workdir. One Docker box
 * and one image serve the whole class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerRunEndToEndTest {

    private static final Duration TOOL = Duration.ofSeconds(30);

    private Cli cli;
    private Path here;
    private String box;
    private String image;

    @BeforeAll
    void start() throws IOException {
        BusyboxImage.require();
        cli = new Cli();
        here = Files.createDirectories(cli.root().resolve("here"));
        cli.env().put("PWD", here.toString());
        // A cancelled container that ignores SIGTERM is killed after this.
        Files.createDirectories(cli.configDir());
        Files.writeString(cli.configDir().resolve("cgrender.conf"), "cgrender.timeouts.kill-grace = 1s\n");
        box = cli.ok("create", "docker-ubuntu-box").out().strip();
        image = BusyboxImage.uniqueName();
        Path tarball = BusyboxImage.rootFsTarball(cli.root());
        cli.ok("ssh", box, "--", "docker", "import", tarball.toString(), image);
    }

    @AfterAll
    void stop() throws IOException {
        if (cli != null) {
            if (box != null && image != null) {
                cli.run("ssh", box, "--", "docker", "rmi", "-f", image);
            }
            cli.close();
        }
    }

    @Test
    void theCommandRunsInTheContainerOnTheWorkDirectoryAndItsFilesAndExitCodeComeBack() throws IOException {
        Path work = Files.createDirectories(here.resolve("proj"));
        Files.writeString(work.resolve("input.txt"), "from the client\n");

        Cli.Result r = cli.run("run", "docker-ubuntu-box", "--docker", image, "--workdir", "proj", "--outputs",
                "out/**", "--", "sh", "-c", "pwd; cat input.txt; mkdir out; id -u > out/uid; echo made > out/r.txt;"
                        + " echo to-stderr >&2; exit 3");

        assertEquals(3, r.code(), "the container's exit code is cgrender's: " + r);
        assertTrue(r.out().startsWith("/workdir\nfrom the client\n"), r.toString());
        assertTrue(r.out().contains("to-stderr"), "the job's log has both streams: " + r);
        assertEquals("made\n", Files.readString(work.resolve("out/r.txt")), r.toString());
        String loginUid = cli.ok("ssh", box, "--", "id", "-u").out().strip();
        assertEquals(loginUid + "\n", Files.readString(work.resolve("out/uid")), "it ran as the login user");
        assertTrue(r.err().contains("wrote proj/out/r.txt"), r.toString());
        String job = jobOf(r);
        assertTrue(containerGone(job), "--rm removed the container");
    }

    @Test
    void cancelEndsTheContainerEvenOneIgnoringSigterm() {
        String job = cli.ok("run", "docker-ubuntu-box", "--docker", image, "--detach", "--", "sh", "-c",
                "trap '' TERM; echo started; while true; do sleep 1; done").out().strip();
        assertTrue(Poll.until(Duration.ofSeconds(60), () -> !docker("ps", "-q", "--filter",
                "name=^cgrender-" + job + "$").stdout().isBlank()), "the container runs");

        cli.ok("cancel", job);

        assertTrue(Poll.until(Duration.ofSeconds(30), () -> containerGone(job)), "the container is gone");
        assertTrue(cli.ok("jobs").out().lines().anyMatch(l -> l.startsWith(job) && l.contains("cancelled")));
    }

    @Test
    void anImageTheBoxDoesNotHaveAndNoRegistryGivesIsRefused() {
        Cli.Result r = cli.run("run", "docker-ubuntu-box", "--docker", "cgrender-test/absent:1", "--", "true");

        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("error: image cgrender-test/absent:1 is not on box " + box + ", and pulling it"
                + " failed: "), r.toString());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("fix: ") && l.contains("docker save"
                + " cgrender-test/absent:1 | cgrender ssh " + box + " -- docker load")), r.toString());
    }

    private static String jobOf(Cli.Result r) {
        return r.err().lines().filter(l -> l.contains(" as job ")).map(l -> l.substring(l.indexOf(" as job ") + 8))
                .findFirst().orElseThrow(() -> new AssertionError("no job id in " + r)).strip();
    }

    private boolean containerGone(String job) {
        return docker("ps", "-a", "-q", "--filter", "name=^cgrender-" + job + "$").stdout().isBlank();
    }

    /** Docker's client here: the local box is this machine. */
    private static OsCommand.Result docker(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "docker";
        System.arraycopy(args, 0, command, 1, args.length);
        return OsCommand.run(TOOL, command).requireSuccess();
    }
}
