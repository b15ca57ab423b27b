package io.cgrender.boxes;

import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.box.DockerBox;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Console;
import io.cgrender.testkit.BusyboxImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Docker box on the local cloud, set up for real: apt installs docker.io where it is missing, the daemon starts
 * (and stays a machine service), and a container of an image imported on the box runs over the box's SSH.
 */
class DockerUbuntuBoxTest {

    private static final Duration COMMAND = Duration.ofMinutes(2);

    @RegisterExtension
    final LocalBoxEnvironment boxes = new LocalBoxEnvironment();

    @TempDir
    Path temp;

    @Test
    void setupStartsDockerOnceAndAnImportedImageRunsThroughTheBox() {
        BusyboxImage.require();
        DockerUbuntuBox box = new DockerUbuntuBox();
        assertTrue(box instanceof DockerBox, "run --docker knows it by its marker");
        Machine machine = box.create(boxes.env(), CreateOptions.defaults()).get(0);
        String first = boxes.err.toString();
        assertTrue(first.matches("(?s).*Docker \\S+ runs, storage driver \\S+; the login user uses it without sudo.*"),
                first);

        RemoteHost host = box.connect(boxes.env(), machine);
        ExecResult info = host.exec("docker info --format '{{.ServerVersion}}'", COMMAND);
        assertEquals(0, info.exitCode(), "docker info as the login user: " + info);
        assertEquals("1", host.exec("pgrep -x dockerd | wc -l", COMMAND).stdout().strip(), "one daemon");

        // On the local cloud every box is this machine: the second box's setup finds Docker installed and running.
        boxes.err.getBuffer().setLength(0);
        Machine second = box.create(boxes.env(), CreateOptions.defaults()).get(0);
        String again = boxes.err.toString();
        assertTrue(again.contains("packages already installed: docker.io"), again);
        assertFalse(again.contains("installing") || again.contains("updating package lists"), again);
        assertFalse(again.contains("starting the Docker daemon"), again);
        assertEquals("1", host.exec("pgrep -x dockerd | wc -l", COMMAND).stdout().strip(), "still one daemon");

        // A box that stops ends its own processes, never the machine's Docker daemon.
        boxes.env().cloud().stop(machine.id(), Duration.ofMinutes(1), Console.silent().progress());
        RemoteHost other = box.connect(boxes.env(), second);
        assertEquals(0, other.exec("docker info > /dev/null", COMMAND).exitCode(), "the daemon outlived the box");

        String image = BusyboxImage.uniqueName();
        Path tarball = BusyboxImage.rootFsTarball(temp);
        other.upload(tarball, "busybox-rootfs.tar");
        try {
            assertEquals(0, other.exec("docker import busybox-rootfs.tar " + image, COMMAND).exitCode());
            ExecResult run = other.exec("docker run --rm " + image + " echo hello from busybox", COMMAND);
            assertEquals(0, run.exitCode(), run.toString());
            assertEquals("hello from busybox", run.stdout().strip());
        } finally {
            other.exec("docker rmi -f " + image + " > /dev/null 2>&1", COMMAND);
        }
    }

    @Test
    void theRoleAndItsPackages() {
        DockerUbuntuBox box = new DockerUbuntuBox();
        assertEquals("docker-ubuntu-box", box.role());
        assertEquals("ubuntu", box.machineSpec().adminUser());
        assertEquals(List.of("docker.io"), box.listPackagesToInstall());
    }
}
