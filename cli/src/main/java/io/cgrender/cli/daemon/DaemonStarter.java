package io.cgrender.cli.daemon;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Starts a daemon for the next command, after this one has run without: a JVM of the same build in a session of its
 * own ({@code setsid}), so that the terminal's Ctrl-C and hang-up never reach it, with no terminal, in its directory.
 */
final class DaemonStarter {

    private static final long MAX_LOG_BYTES = 1 << 20;

    private DaemonStarter() {
    }

    /** Starts the daemon of {@code address}; does nothing (the next command runs without) if it cannot. */
    static void start(DaemonAddress address) {
        Optional<Path> setsid = Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of).filter(Files::isExecutable)
                .findFirst();
        if (setsid.isEmpty()) {
            return;
        }
        try {
            Files.createDirectories(address.dir(), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            if (Files.exists(address.log()) && Files.size(address.log()) > MAX_LOG_BYTES) {
                Files.delete(address.log()); // each daemon adds a few lines; many daemons later, start afresh
            }
            List<String> command = new ArrayList<>(List.of(setsid.get().toString(),
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+UseSerialGC", "-Xshare:auto", "-cp", System.getProperty("java.class.path")));
            String launcherBuild = System.getProperty(DaemonAddress.LAUNCHER_BUILD, "");
            if (!launcherBuild.isEmpty()) {
                command.add("-D" + DaemonAddress.LAUNCHER_BUILD + "=" + launcherBuild);
            }
            command.addAll(List.of(Daemon.class.getName(), address.socket().toString()));
            new ProcessBuilder(command).directory(address.dir().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(address.log().toFile()))
                    .start();
        } catch (IOException | UnsupportedOperationException e) {
            // no daemon this time
        }
    }
}
