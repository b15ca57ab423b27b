package io.cgrender.boxes;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.cgrender.boxes.ScriptedHost.fails;
import static io.cgrender.boxes.ScriptedHost.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the Docker box decides on its daemon's storage, at the {@code RemoteHost} seam: a scripted box answers each of
 * the engine's commands (named by their leading {@code : docker-…;}) as a box in that situation would.
 */
class DockerEngineTest {

    private static final String OVERLAY_FAILURE = "failed to start daemon: error initializing graphdriver: prior"
            + " storage driver overlay2 failed: driver not supported";
    private static final Pattern TAG = Pattern.compile(": docker-([a-z-]+);");

    private final StringWriter err = new StringWriter();
    private final Console console = new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true), false);

    @Test
    void aDaemonFailingOnOverlayIsRestartedWithVfsAndTheOtherSettingsAreKept() {
        ScriptedHost box = new ScriptedHost()
                .answer(": docker-facts;", ok("kernel-overlay=1\ndocker-dir-fs=ext2/ext3\n"))
                .answer(": docker-config-write;", ok(""))
                .answer(": docker-config;", ok("{\"log-level\": \"warn\", \"log-opts\": {\"max-size\": \"10m\"}}"))
                .answer(": docker-start;", ok("offset=120\npid=4242\n"), ok("offset=400\npid=4343\n"))
                .answer(": docker-await;", fails(1, ""), ok(""))
                .answer(": docker-log;", ok("level=info msg=\"Starting up\"\n" + OVERLAY_FAILURE + "\n"));

        engine(box).start();

        assertEquals(List.of("facts", "config", "start", "await", "log", "config-write", "start", "await"),
                tags(box), "one start, the vfs setting, one restart");
        assertTrue(box.commands.get(2).contains("setsid env -i PATH="), "dockerd starts detached, without the"
                + " box's environment: " + box.commands.get(2));
        assertTrue(box.commands.get(4).contains("tail -c +121 " + DockerEngine.LOG), "only this start's log is read");
        String written = box.inputs.get(5);
        assertTrue(written.contains("\"storage-driver\" : \"vfs\""), written);
        assertTrue(written.contains("\"log-level\" : \"warn\"") && written.contains("\"max-size\" : \"10m\""),
                "the file's other settings are kept: " + written);
        assertTrue(err.toString().contains("warning: overlay storage is not available (the daemon failed on its"
                + " storage driver: " + OVERLAY_FAILURE + "): Docker uses the vfs storage driver, set in "
                + DockerEngine.DAEMON_JSON), err.toString());
        assertTrue(err.toString().contains("restarting the Docker daemon"), err.toString());
    }

    @Test
    void dockerOnOverlayfsUsesVfsFromItsFirstStart() {
        ScriptedHost box = new ScriptedHost()
                .answer(": docker-facts;", ok("systemd=1\nkernel-overlay=1\ndocker-dir-fs=overlayfs\n"))
                .answer(": docker-config-write;", ok(""))
                .answer(": docker-config;", ok(""))
                .answer(": docker-start;", ok(""))
                .answer(": docker-await;", ok(""));

        engine(box).start();

        assertEquals(List.of("facts", "config", "config-write", "start", "await"), tags(box));
        assertEquals("{\n    \"storage-driver\" : \"vfs\"\n}\n", box.inputs.get(2));
        assertTrue(box.commands.get(3).contains("systemctl enable docker.service"), "systemd enables and starts it");
        assertTrue(err.toString().contains("(/var/lib/docker is on overlayfs, as in a container)"), err.toString());
    }

    @Test
    void aKernelWithoutOverlayGetsVfsToo() {
        ScriptedHost box = new ScriptedHost()
                .answer(": docker-facts;", ok("docker-dir-fs=ext2/ext3\n"))
                .answer(": docker-config-write;", ok(""))
                .answer(": docker-config;", ok(""))
                .answer(": docker-start;", ok("offset=0\npid=7\n"))
                .answer(": docker-await;", ok(""));

        engine(box).start();

        assertEquals(List.of("facts", "config", "config-write", "start", "await"), tags(box));
        assertTrue(err.toString().contains("(the kernel has no overlay file system)"), err.toString());
    }

    @Test
    void aRunningDaemonIsLeftAlone() {
        ScriptedHost box = new ScriptedHost()
                .answer(": docker-facts;", ok("kernel-overlay=1\nanswering=20.10.24 overlay2\n"));

        engine(box).start();

        assertEquals(List.of("facts"), tags(box), "nothing started, nothing configured");
    }

    @Test
    void aDaemonThatFailsForAnotherReasonIsReportedWithItsLogAndNotReconfigured() {
        ScriptedHost box = new ScriptedHost()
                .answer(": docker-facts;", ok("kernel-overlay=1\ndocker-dir-fs=ext2/ext3\n"))
                .answer(": docker-config;", ok(""))
                .answer(": docker-start;", ok("offset=0\npid=4242\n"))
                .answer(": docker-await;", fails(1, ""))
                .answer(": docker-log;", ok("failed to start daemon: pid file found, ensure docker is not running\n"));

        CgrenderException e = assertThrows(CgrenderException.class, () -> engine(box).start());

        assertTrue(e.getMessage().contains("the Docker daemon did not start; last lines of its log:\n  failed to start"
                + " daemon: pid file found"), e.getMessage());
        assertEquals("fix: see " + DockerEngine.LOG + " on the box", e.hint().orElseThrow());
        assertFalse(tags(box).contains("config-write"), "no storage change without evidence");
    }

    @Test
    void verifyNamesTheDockerAndWarnsAboutVfs() {
        ScriptedHost box = new ScriptedHost()
                .answer(": docker-verify;", ok("20.10.24+dfsg1 vfs\n"))
                .answer(": docker-facts;", ok("kernel-overlay=1\ndocker-dir-fs=overlayfs\n"));

        engine(box).verify();

        assertTrue(err.toString().contains("Docker 20.10.24+dfsg1 runs, storage driver vfs; the login user uses it"
                + " without sudo"), err.toString());
        assertTrue(err.toString().contains("warning: Docker stores images with the vfs storage driver (/var/lib/docker"
                + " is on overlayfs, as in a container)"), err.toString());
    }

    @Test
    void theLoginUserJoinsTheDockerGroupOnce() {
        ScriptedHost box = new ScriptedHost().answer(": docker-group;", ok("added\n"), ok("member\n"));
        DockerEngine engine = new DockerEngine(box, "sudo -n ", console, Duration.ofSeconds(5));

        assertTrue(engine.letLoginUserIn());
        assertFalse(engine.letLoginUserIn());
        assertTrue(box.commands.get(0).contains("sudo -n usermod -aG docker"), box.commands.get(0));
    }

    @Test
    void withSudoTheEngineRunsItsCommandsAsRoot() {
        ScriptedHost box = new ScriptedHost()
                .answer("sudo -n sh -c ': docker-facts;", ok("kernel-overlay=1\nanswering=20.10.24 overlay2\n"));

        new DockerEngine(box, "sudo -n ", console, Duration.ofSeconds(5)).start();

        assertEquals(1, box.commands.size(), box.commands.toString());
    }

    @Test
    void settingTheDriverKeepsTheRestOfDaemonJson() {
        assertEquals("{\n    \"storage-driver\" : \"vfs\"\n}\n", DockerEngine.withStorageDriver("", "vfs"));
        String merged = DockerEngine.withStorageDriver("{\"storage-driver\": \"overlay2\", \"debug\": true}", "vfs");
        assertTrue(merged.contains("\"storage-driver\" : \"vfs\"") && merged.contains("\"debug\" : true"), merged);
        assertThrows(com.typesafe.config.ConfigException.class,
                () -> DockerEngine.withStorageDriver("{not json", "vfs"));
    }

    private DockerEngine engine(ScriptedHost box) {
        return new DockerEngine(box, "", console, Duration.ofSeconds(5));
    }

    /** The engine's commands by their tags, in order. */
    private static List<String> tags(ScriptedHost box) {
        return box.commands.stream().map(c -> {
            Matcher m = TAG.matcher(c);
            return m.find() ? m.group(1) : "untagged: " + c;
        }).toList();
    }
}
