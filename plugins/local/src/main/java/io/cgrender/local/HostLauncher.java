package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.config.Settings;
import io.cgrender.core.os.ProcessIdentity;
import io.cgrender.local.host.BoxDir;
import io.cgrender.local.host.BoxHost;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Spawns box host processes: {@code java} of this runtime running {@link BoxHost}, detached with {@code setsid} (so
 * Ctrl-C in the user's terminal, which signals the terminal's process group, never reaches a box), stdin from
 * {@code /dev/null}, stdout and stderr appended to {@code host.log}, working directory the box's home. The host
 * outlives the JVM that started it; later processes find it through the state file.
 */
final class HostLauncher {

    static final String CLASSPATH_PROPERTY = "cgrender.local.host-classpath";
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    /** Classes the host needs, whose jars must be on its class path even if cgrender was loaded otherwise. */
    private static final List<String> HOST_CLASSES = List.of(
            "io.cgrender.local.host.BoxHost",
            "io.cgrender.core.ssh.KeyFiles",
            "org.apache.sshd.server.SshServer",
            "org.apache.sshd.common.util.security.SecurityUtils",
            "org.apache.sshd.sftp.server.SftpSubsystemFactory",
            "net.i2p.crypto.eddsa.EdDSAPublicKey",
            "org.slf4j.LoggerFactory",
            "org.slf4j.simple.SimpleLogger");

    private final List<String> jvmOptions;
    private final String classPath;

    HostLauncher(Settings settings) {
        this.jvmOptions = settings.has("cgrender.local.host-jvm-options")
                ? settings.config().getStringList("cgrender.local.host-jvm-options") : List.of();
        String configured = System.getProperty(CLASSPATH_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = settings.has("cgrender.local.host-classpath")
                    ? settings.string("cgrender.local.host-classpath") : "";
        }
        this.classPath = configured.isBlank() ? defaultClassPath() : configured;
    }

    /** Starts the host of {@code box}; returns once the process exists. */
    ProcessIdentity spawn(BoxDir box) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            command.add(SETSID.toString());
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dcgrender.box=" + box.id());
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        command.add("-Dorg.slf4j.simpleLogger.log.org.apache.sshd=warn");
        command.add("-cp");
        command.add(classPath);
        command.add(BoxHost.class.getName());
        command.add(box.root().toAbsolutePath().toString());

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(box.home().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(box.hostLog().toFile()));
        // A cgrender run on a box must not mark the hosts it starts as processes of that box.
        builder.environment().remove(BoxDir.BOX_ENV);
        try {
            Process process = builder.start();
            return ProcessIdentity.of(process.toHandle()).orElseThrow(() -> new CgrenderException(
                    "cannot tell the start time of box host process " + process.pid() + " of " + box.id()
                            + "; the local cloud needs /proc"));
        } catch (IOException e) {
            throw new CgrenderException("cannot start the box host of " + box.id() + ": " + e.getMessage()
                    + " (command: " + String.join(" ", command.subList(0, Math.min(2, command.size()))) + " …)", e);
        }
    }

    /** This JVM's class path plus the code sources of the classes the host needs (for plugin class loaders). */
    private static String defaultClassPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        for (String name : HOST_CLASSES) {
            codeSourceOf(name).ifPresent(entries::add);
        }
        return String.join(File.pathSeparator, entries);
    }

    private static Optional<String> codeSourceOf(String className) {
        try {
            Class<?> type = Class.forName(className, false, HostLauncher.class.getClassLoader());
            CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return Optional.empty();
            }
            return Optional.of(Path.of(source.getLocation().toURI()).toAbsolutePath().toString());
        } catch (ClassNotFoundException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
