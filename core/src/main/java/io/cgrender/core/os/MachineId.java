package io.cgrender.core.os;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A short, stable name for this machine that says nothing about it: a hash of systemd's machine id (the host name
 * where there is none). Two processes with the same {@code MachineId} can check each other's liveness by pid.
 */
public final class MachineId {

    private static final List<Path> SOURCES = List.of(Path.of("/etc/machine-id"), Path.of("/var/lib/dbus/machine-id"));
    private static final String CURRENT = compute();

    private MachineId() {
    }

    /** This machine's id: 12 hex digits. */
    public static String current() {
        return CURRENT;
    }

    private static String compute() {
        String source = null;
        for (Path file : SOURCES) {
            try {
                String text = Files.readString(file).strip();
                if (!text.isEmpty()) {
                    source = text;
                    break;
                }
            } catch (IOException | SecurityException e) {
                // try the next source
            }
        }
        if (source == null) {
            try {
                source = "host:" + InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                source = "host:" + System.getenv().getOrDefault("HOSTNAME", "unknown");
            }
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("cgrender machine\n" + source).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
