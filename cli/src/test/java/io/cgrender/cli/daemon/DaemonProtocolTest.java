package io.cgrender.cli.daemon;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon, a real process, spoken to frame by frame as a front end would, and as one it must refuse. */
class DaemonProtocolTest {

    @TempDir
    Path home;

    private Process daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.destroyForcibly();
        }
    }

    @Test
    void itRunsAnAcceptedCommandRefusesAnotherBuildAndEndsWhenIdle() throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("HOME", home.toString());
        env.put("USER", "tester");
        for (String xdg : List.of("CONFIG", "DATA", "STATE", "CACHE")) {
            env.put("XDG_" + xdg + "_HOME", home.resolve(xdg.toLowerCase()).toString());
        }
        Path conf = Files.createDirectories(home.resolve("config/cgrender")).resolve("cgrender.conf");
        Files.writeString(conf, "cgrender.daemon.idle-timeout = 3s\n");
        DaemonAddress address = DaemonAddress.of(env).orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Daemon.class.getName(), address.socket().toString())
                .redirectErrorStream(true).redirectOutput(home.resolve("daemon.out").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        daemon = pb.start();
        awaitListening(address);

        Request list = new Request(address.build(), List.of("-n", "/tester/", "list"), env, false,
                OptionalInt.empty());
        try (Wire wire = connect(address)) {
            wire.write(Wire.REQUEST, new Request("another", list.args(), env, false, OptionalInt.empty()).encode());
            Wire.Frame answer = wire.read();
            assertEquals(Wire.DECLINE, answer.type());
            assertTrue(new String(answer.payload(), StandardCharsets.UTF_8).contains("another build"));
        }
        try (Wire wire = connect(address)) {
            wire.write(Wire.REQUEST, list.encode());
            assertEquals(Wire.ACCEPT, wire.read().type());
            wire.write(Wire.GO);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Wire.Frame frame;
            while ((frame = wire.read()).type() != Wire.EXIT) {
                out.write(frame.payload());
            }
            assertEquals(0, ByteBuffer.wrap(frame.payload()).getInt());
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("no boxes in /tester/"), out.toString());
        }

        assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "the daemon ends after its idle timeout");
        assertEquals(0, daemon.exitValue());
        assertFalse(Files.exists(address.socket()), "its socket is removed");
        assertFalse(Files.exists(address.pidFile()), "its pid file is removed");
        assertTrue(Files.readString(home.resolve("daemon.out")).contains("ending: idle for PT3S"),
                Files.readString(home.resolve("daemon.out")));
    }

    private static Wire connect(DaemonAddress address) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(address.socket()));
        return new Wire(channel);
    }

    private void awaitListening(DaemonAddress address) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(address.pidFile())) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the daemon did not start listening:\n"
                        + Files.readString(home.resolve("daemon.out")));
            }
            daemon.waitFor(50, TimeUnit.MILLISECONDS);
        }
    }
}
