package io.cgrender.ec2;

import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.claim.Lease;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.HostKeyRejectedException;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ui.Progress;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a box does at every boot (boot.sh, installed by the user data), on stand-ins that boot as the instance would:
 * the units the box enabled, then, on an instance's first boot only, its user data; a started instance's console shows
 * only what that boot printed.
 */
class Ec2BoxBootTest {

    private static final Namespace NS = Namespace.parse("/boot/", null);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path temp;
    private Ec2Fixture fx;
    private final java.util.List<MinaSshConnector> laptops = new java.util.ArrayList<>();

    @BeforeEach
    void start() {
        Standins.assumeAvailable();
        fx = new Ec2Fixture(temp);
    }

    @AfterEach
    void stop() throws Exception {
        laptops.forEach(MinaSshConnector::close);
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void afterAStopAndStartAComputerWithoutThePinReadsTheHostKeyOffTheConsoleAndAStrangerKeyIsStillRefused()
            throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.timeouts.ssh", "20s"));
        Machine box = cloud.awaitRunning(cloud.launch(fx.spec(NS, "probe-box")).id(), TIMEOUT, Progress.NONE);
        assertEquals("ok\n", fx.environment(cloud, NS).connect(box).exec("echo ok", TIMEOUT).stdout());
        cloud.stop(box.id(), TIMEOUT, Progress.NONE);
        cloud.start(box.id(), TIMEOUT, Progress.NONE);
        Machine started = cloud.awaitRunning(box.id(), TIMEOUT, Progress.NONE);

        assertEquals("ok\n", laptop(cloud, "second").connect(started).exec("echo ok", TIMEOUT).stdout(),
                "a computer that never saw the box trusts the key its console shows after the start");
        assertTrue(fx.ec2.getConsoleOutput(r -> r.instanceId(box.id())).output() != null);

        // the disk now holds a key that is not the one sshd presents: the console vouches for it, not for sshd's
        cloud.stop(box.id(), TIMEOUT, Progress.NONE);
        Path keys = Standins.root(box.id()).orElseThrow().resolve("etc/ssh");
        Path stranger = temp.resolve("stranger_ed25519_key");
        OsCommand.run(Duration.ofSeconds(30), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                stranger.toString()).requireSuccess();
        Files.copy(Path.of(stranger + ".pub"), keys.resolve("ssh_host_ed25519_key.pub"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        cloud.start(box.id(), TIMEOUT, Progress.NONE);
        Machine again = cloud.awaitRunning(box.id(), TIMEOUT, Progress.NONE);
        assertThrows(HostKeyRejectedException.class, () -> laptop(cloud, "third").connect(again),
                "a key the console does not vouch for is refused");
    }

    @Test
    void aBoxLaunchedFromAnImageArmsItsWatchdogWithItsOwnLaunchNotTheImagedBoxs() throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.timeouts.ssh", "30s"));
        BoxEnvironment env = fx.environment(cloud, NS);
        Instant soon = Instant.now().plusSeconds(15);
        Machine old = cloud.awaitRunning(cloud.launch(fx.spec(NS, "probe-box", soon)).id(), TIMEOUT, Progress.NONE);
        env.connect(old).exec("touch made-on-the-old-box && mkdir -p .cgrender/jobs/j-1 .cgrender/work/k"
                + " && touch .cgrender/jobs/j-1/status .cgrender/work/k/model.scad .cgrender/after-job", TIMEOUT);
        String image = cloud.images().orElseThrow().create(old, Map.of(Tags.NAMESPACE, NS.toString(), Tags.ROLE,
                "probe-box", Tags.GENERATION, "1"), TIMEOUT, Progress.NONE).id();
        Standins.sync(fx.ec2); // the image gets its copy of the old box's disk
        assertTrue(Poll.until(TIMEOUT, () -> "terminated".equals(fx.state(old.id()))),
                "the old box ends itself at its expiry: " + Standins.watchdogLog(old.id()));

        Instant later = Instant.now().plus(Duration.ofHours(1));
        LaunchSpec spec = new LaunchSpec(NS, "probe-box", MachineSpec.ubuntu(1, 1, 8, "t3.micro"),
                Tags.forNewBox(NS, "probe-box", "ubuntu", 1, later, Duration.ofMinutes(45), Lease.ofSelf(Instant.now(), Duration.ofHours(1))
                        .tagValue()), fx.key(NS).publicKeyLine(), Duration.ofMinutes(45), Duration.ofHours(1),
                Optional.of(image), Optional.empty(), false);
        Machine box = cloud.awaitRunning(cloud.launch(spec).id(), TIMEOUT, Progress.NONE);
        assertEquals("yes\n", env.connect(box).exec("test -f made-on-the-old-box && echo yes", TIMEOUT).stdout(),
                "launched from the old box's disk");
        assertEquals("clean\n", env.connect(box).exec("test ! -e .cgrender/jobs && test ! -e .cgrender/work"
                + " && test ! -e .cgrender/after-job && echo clean", TIMEOUT).stdout(),
                "without the old box's job records, uploads and after-job request");

        String log = Standins.watchdogLog(box.id());
        assertTrue(log.contains("cgrender-boot: armed the watchdog with the settings of " + box.id() + "'s own launch"
                + " (it had those of " + old.id() + ")"), log);
        assertTrue(log.contains("watching: idle timeout 2700s, expires at " + later + ","), log);
        assertFalse(log.contains("max lifetime reached") || log.contains("expires at " + soon), log);
        assertEquals("running", fx.state(box.id()), log);
    }

    /** Another computer of the same user: the namespace's key, an empty known_hosts. */
    private BoxEnvironment laptop(Ec2Cloud cloud, String name) {
        KnownHosts knownHosts = new KnownHosts(temp.resolve(name).resolve("known_hosts"));
        MinaSshConnector ssh = new MinaSshConnector(knownHosts);
        laptops.add(ssh);
        return new BoxEnvironment(cloud, NS, fx.key(NS), knownHosts, ssh, cloud.context().settings(), fx.console);
    }
}
