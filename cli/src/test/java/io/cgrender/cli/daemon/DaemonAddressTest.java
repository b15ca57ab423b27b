package io.cgrender.cli.daemon;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonAddressTest {

    private static final Map<String, String> ENV = Map.of("HOME", "/home/alice", "PATH", "/usr/bin",
            "AWS_PROFILE", "work", "PWD", "/home/alice/models", "SHLVL", "1", "TERM", "xterm");

    @Test
    void aShellsOwnVariablesDoNotChangeTheDaemonButTheUsersSetUpAndStateDirectoryDo() {
        DaemonAddress address = DaemonAddress.of(ENV).orElseThrow();
        assertEquals(Path.of("/home/alice/.local/state/cgrender/daemon"), address.dir());
        assertEquals(address.dir().resolve(address.key() + ".sock"), address.socket());

        assertEquals(address, DaemonAddress.of(with("PWD", "/tmp", "SHLVL", "3", "TERM", "screen",
                "CGRENDER_DAEMON", "only", "CGRENDER_JAVA_OPTS", "-Xlog:gc")).orElseThrow());
        assertNotEquals(address.key(), DaemonAddress.of(with("AWS_PROFILE", "home")).orElseThrow().key());
        assertNotEquals(address.key(), DaemonAddress.of(with("CGRENDER_CLOUD", "ec2")).orElseThrow().key());
        DaemonAddress elsewhere = DaemonAddress.of(with("XDG_STATE_HOME", "/srv/state")).orElseThrow();
        assertEquals(Path.of("/srv/state/cgrender/daemon"), elsewhere.dir());
        assertNotEquals(address.key(), elsewhere.key());
        assertEquals(address.build(), elsewhere.build(), "the same build");
    }

    @Test
    void aStateDirectoryTooDeepForASocketPathHasNoDaemon() {
        assertTrue(DaemonAddress.of(with("XDG_STATE_HOME", "/tmp/" + "d".repeat(80))).isEmpty());
    }

    @Test
    void theKeyIsSixteenHexDigits() {
        assertTrue(DaemonAddress.of(ENV).orElseThrow().key().matches("[0-9a-f]{16}"));
        assertEquals("cbf29ce484222325", DaemonAddress.digest(""), "FNV-1a's offset basis");
        assertEquals("af63dc4c8601ec8c", DaemonAddress.digest("a"));
    }

    private static Map<String, String> with(String... pairs) {
        Map<String, String> env = new HashMap<>(ENV);
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }
}
