package io.cgrender.boxes;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the Docker box decides on its daemon's storage, at the {@link RemoteHost} seam: a scripted box answers each of
 * the engine's commands (named by their leading {@code : docker-…}) as a box in that situation would.
 */
class DockerEngineTest {

    private static final String OVERLAY_FAILURE = "failed to start daemon: error initializing graphdriver: prior"
            + " storage driver overlay2 failed: driver not supported";

    private final StringWriter err = new StringWriter();
    private final Console console = new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true), false);

    @Test
    void aDaemonFailingOnOverlayIsRestartedWithVfsAndTheOtherSettingsAreKept() {
        ScriptedBox box = new ScriptedBox()
                .answer("facts", 0, "kernel-overlay=1\ndocker-dir-fs=ext2/ext3\n")
                .answer("config", 0, "{\"log-level\": \"warn\", \"log-opts\": {\"max-size\": \"10m\"}}")
                .answer("start", 0, "offset=120\npid=4242\n")
                .answer("await", 1, "")
                .answer("log", 0, "level=info msg=\"Starting up\"\n" + OVERLAY_FAILURE + "\n")
                .answer("config-write", 0, "")
                .answer("start", 0, "offset=400\npid=4343\n")
                .answer("await", 0, "");

        engine(box).start();

        assertEquals(List.of("facts", "config", "start", "await", "log", "config-write", "start", "await"), box.tags, "one start, the vfs setting, one restart");
        assertTrue(box.commands.get(2).contains("setsid env -i PATH="), "dockerd starts detached, without the"
                + " box's environment: " + box.commands.get(2));
        assertTrue(box.commands.get(4).contains("tail -c +121 " + DockerEngine.LOG), "only this start's log is read");
        String written = box.stdin.get("config-write");
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
        ScriptedBox box = new ScriptedBox()
                .answer("facts", 0, "systemd=1\nkernel-overlay=1\ndocker-dir-fs=overlayfs\n")
                .answer("config", 0, "")
                .answer("config-write", 0, "")
                .answer("start", 0, "")
                .answer("await", 0, "");

        engine(box).start();

        assertEquals(List.of("facts", "config", "config-write", "start", "await"), box.tags);
        assertEquals("{\n    \"storage-driver\" : \"vfs\"\n}\n", box.stdin.get("config-write"));
        assertTrue(box.commands.get(3).contains("systemctl enable docker.service"), "systemd enables and starts it");
        assertTrue(err.toString().contains("(/var/lib/docker is on overlayfs, as in a container)"), err.toString());
    }

    @Test
    void aKernelWithoutOverlayGetsVfsToo() {
        ScriptedBox box = new ScriptedBox()
                .answer("facts", 0, "docker-dir-fs=ext2/ext3\n")
                .answer("config", 0, "")
                .answer("config-write", 0, "")
                .answer("start", 0, "offset=0\npid=7\n")
                .answer("await", 0, "");

        engine(box).start();

        assertTrue(err.toString().contains("(the kernel has no overlay file system)"), err.toString());
    }

    @Test
    void aRunningDaemonIsLeftAlone() {
        ScriptedBox box = new ScriptedBox().answer("facts", 0, "kernel-overlay=1\nanswering=20.10.24 overlay2\n");

        engine(box).start();

        assertEquals(List.of("facts"), box.tags, "nothing started, nothing configured");
    }

    @Test
    void aDaemonThatFailsForAnotherReasonIsReportedWithItsLogAndNotReconfigured() {
        ScriptedBox box = new ScriptedBox()
                .answer("facts", 0, "kernel-overlay=1\ndocker-dir-fs=ext2/ext3\n")
                .answer("config", 0, "")
                .answer("start", 0, "offset=0\npid=4242\n")
                .answer("await", 1, "")
                .answer("log", 0, "failed to start daemon: pid file found, ensure docker is not running\n");

        CgrenderException e = assertThrows(CgrenderException.class, () -> engine(box).start());

        assertTrue(e.getMessage().contains("the Docker daemon did not start; last lines of its log:\n  failed to start"
                + " daemon: pid file found"), e.getMessage());
        assertEquals("fix: see " + DockerEngine.LOG + " on the box", e.hint().orElseThrow());
        assertFalse(box.tags.contains("config-write"), "no storage change without evidence");
    }

    @Test
    void verifyNamesTheDockerAndWarnsAboutVfs() {
        ScriptedBox box = new ScriptedBox()
                .answer("verify", 0, "20.10.24+dfsg1 vfs\n")
                .answer("facts", 0, "kernel-overlay=1\ndocker-dir-fs=overlayfs\nanswering=20.10.24+dfsg1 vfs\n");

        engine(box).verify();

        assertTrue(err.toString().contains("Docker 20.10.24+dfsg1 runs, storage driver vfs; the login user uses it"
                + " without sudo"), err.toString());
        assertTrue(err.toString().contains("warning: Docker stores images with the vfs storage driver (/var/lib/docker"
                + " is on overlayfs, as in a container)"), err.toString());
    }

    @Test
    void theLoginUserJoinsTheDockerGroupOnce() {
        ScriptedBox box = new ScriptedBox().answer("group", 0, "added\n").answer("group", 0, "member\n");
        DockerEngine engine = new DockerEngine(box, "sudo -n ", console, Duration.ofSeconds(5));

        assertTrue(engine.letLoginUserIn());
        assertFalse(engine.letLoginUserIn());
        assertTrue(box.commands.get(0).contains("sudo -n usermod -aG docker"), box.commands.get(0));
    }

    @Test
    void settingTheDriverKeepsTheRestOfDaemonJson() {
        assertEquals("{\n    \"storage-driver\" : \"vfs\"\n}\n", DockerEngine.withStorageDriver("", "vfs"));
        String merged = DockerEngine.withStorageDriver("{\"storage-driver\": \"overlay2\", \"debug\": true}", "vfs");
        assertTrue(merged.contains("\"storage-driver\" : \"vfs\"") && merged.contains("\"debug\" : true"), merged);
        assertThrows(com.typesafe.config.ConfigException.class,
                () -> DockerEngine.withStorageDriver("{not json", "vfs"));
    }

    private DockerEngine engine(ScriptedBox box) {
        return new DockerEngine(box, "", console, Duration.ofSeconds(5));
    }

    /** A box that answers each command by its tag, in the order given; a command it was not told about fails. */
    private static final class ScriptedBox implements RemoteHost {
        private static final Pattern TAG = Pattern.compile(": docker-([a-z-]+);");
        private final Map<String, Deque<ExecResult>> answers = new HashMap<>();
        final List<String> tags = new ArrayList<>();
        final List<String> commands = new ArrayList<>();
        final Map<String, String> stdin = new HashMap<>();

        ScriptedBox answer(String tag, int exit, String stdout) {
            answers.computeIfAbsent(tag, t -> new ArrayDeque<>()).add(new ExecResult(exit, stdout, ""));
            return this;
        }

        @Override
        public ExecResult exec(String command, Duration timeout) {
            Matcher m = TAG.matcher(command);
            if (!m.find()) {
                throw new AssertionError("a command without a tag: " + command);
            }
            String tag = m.group(1);
            tags.add(tag);
            commands.add(command);
            Deque<ExecResult> queue = answers.get(tag);
            if (queue == null || queue.isEmpty()) {
                throw new AssertionError("unexpected " + tag + " after " + tags + ": " + command);
            }
            return queue.poll();
        }

        @Override
        public ExecResult exec(String command, Duration timeout, InputStream in, OutputStream out, OutputStream err) {
            ExecResult r = exec(command, timeout);
            try {
                if (in != null) {
                    stdin.put(tags.get(tags.size() - 1), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                out.write(r.stdout().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new ExecResult(r.exitCode(), "", "");
        }

        @Override
        public String id() {
            return "l-scripted";
        }

        @Override
        public void upload(Path localFile, String remotePath) {
            throw new AssertionError("no uploads");
        }

        @Override
        public void download(String remotePath, Path localFile) {
            throw new AssertionError("no downloads");
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
