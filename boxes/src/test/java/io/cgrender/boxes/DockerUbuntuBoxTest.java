package io.cgrender.boxes;

import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.box.DockerBox;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Console;
import io.cgrender.local.LocalCloudProvider;
import io.cgrender.testkit.BusyboxImage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Docker box on the local cloud, set up for real: apt installs docker.io where it is missing, the daemon starts
 * (and stays a machine service), and a container of an image imported on the box runs over the box's SSH.
 */
class DockerUbuntuBoxTest {

    private static final Duration COMMAND = Duration.ofMinutes(2);

    @TempDir
    Path home;

    private final StringWriter err = new StringWriter();
    private Cloud cloud;
    private MinaSshConnector ssh;
    private BoxEnvironment env;

    @BeforeEach
    void environment() {
        Dirs dirs = Dirs.from(Map.of(), home);
        Settings settings = Settings.defaults();
        Namespace ns = Namespace.parse("/docker-box-test/", null);
        Console console = new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true), false);
        cloud = new LocalCloudProvider().open(new CloudContext(settings, dirs, ns, console));
        KnownHosts knownHosts = new KnownHosts(dirs.knownHosts());
        ssh = new MinaSshConnector(knownHosts);
        env = new BoxEnvironment(cloud, ns, NamespaceKey.loadOrCreate(dirs.keys(), ns), knownHosts, ssh, settings,
                console);
    }

    @AfterEach
    void cleanUp() {
        cloud.describe(MachineFilter.of(env.namespace())).forEach(env::terminate);
        ssh.close();
        cloud.close();
    }

    @Test
    void setupStartsDockerOnceAndAnImportedImageRunsThroughTheBox() {
        BusyboxImage.require();
        DockerUbuntuBox box = new DockerUbuntuBox();
        assertTrue(box instanceof DockerBox, "run --docker knows it by its marker");
        Machine machine = box.create(env, CreateOptions.defaults()).get(0);
        String first = err.toString();
        assertTrue(first.matches("(?s).*Docker \\S+ runs, storage driver \\S+; the login user uses it without sudo.*"),
                first);

        RemoteHost host = box.connect(env, machine);
        ExecResult info = host.exec("docker info --format '{{.ServerVersion}}'", COMMAND);
        assertEquals(0, info.exitCode(), "docker info as the login user: " + info);
        assertEquals("1", host.exec("pgrep -x dockerd | wc -l", COMMAND).stdout().strip(), "one daemon");

        // On the local cloud every box is this machine: the second box's setup finds Docker installed and running.
        err.getBuffer().setLength(0);
        Machine second = box.create(env, CreateOptions.defaults()).get(0);
        String again = err.toString();
        assertTrue(again.contains("packages already installed: docker.io"), again);
        assertFalse(again.contains("installing") || again.contains("updating package lists"), again);
        assertFalse(again.contains("starting the Docker daemon"), again);
        assertEquals("1", host.exec("pgrep -x dockerd | wc -l", COMMAND).stdout().strip(), "still one daemon");

        // A box that stops ends its own processes, never the machine's Docker daemon.
        cloud.stop(machine.id(), Duration.ofMinutes(1), Console.silent().progress());
        RemoteHost other = box.connect(env, second);
        assertEquals(0, other.exec("docker info > /dev/null", COMMAND).exitCode(), "the daemon outlived the box");

        String image = BusyboxImage.uniqueName();
        Path tarball = BusyboxImage.rootFsTarball(home);
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
