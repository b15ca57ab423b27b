package io.cgrender.ec2.testkit;

import io.cgrender.testkit.LocalSshd;
import io.cgrender.testkit.LocalUser;
import io.cgrender.testkit.OsCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What stands in for one moto instance: a dedicated local user with its own home directory (the instance's disk),
 * a real OpenSSH {@code sshd} on 127.0.0.1 with its own host key that lets only that user in with the instance's key
 * pair, and the console output cloud-init would print, carrying that sshd's real fingerprints.
 * <p>
 * A user per stand-in, because a box's jobs, work directories and after-job requests live under {@code $HOME}, and
 * OpenSSH takes the home directory (and the working directory of every command) from the user database: only a user
 * of its own gives each stand-in its own disk the way a real instance has one, with no change to what cgrender runs.
 * <p>
 * Like the instance's network would, the stand-in's sessions get the addresses of the AWS APIs (moto) and of the
 * instance's metadata service ({@link StandinMetadata}) in their environment ({@code AWS_ENDPOINT_URL},
 * {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}), and nothing else: no credentials. When the instance's user data
 * installs cgrender's watchdog, the stand-in runs that watchdog as systemd would on the instance (as the stand-in's
 * user, checking every second), with its session counting pointed at the stand-in's sshd and its
 * {@code shutdown -h now} replaced by a request to power the instance off ({@link #haltRequested()}), which
 * {@link Standins} carries out in moto as EC2 would.
 */
final class Standin {

    /** The comment (GECOS field) of every stand-in user, followed by the instance id. */
    static final String COMMENT = "cgrender stand-in for ";
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);

    final String instanceId;
    final String user;
    final Path dir;
    final Path home;
    private final LocalSshd sshd;
    private final String hostName;
    private final String consoleFingerprint;
    private final String consoleKeyLine;
    private final boolean silent;
    private final Map<String, String> sessionEnv;
    private final Optional<String> watchdogScript;
    private final AutoCloseable metadata;
    private Process watchdog;
    /** The address moto gave the instance when the stand-in last (re)started: a new one means it was restarted. */
    String address;

    private Standin(String instanceId, String user, Path dir, Path home, LocalSshd sshd, String hostName,
                    String consoleFingerprint, String consoleKeyLine, boolean silent, Map<String, String> sessionEnv,
                    Optional<String> watchdogScript, AutoCloseable metadata) {
        this.silent = silent;
        this.metadata = metadata;
        this.sessionEnv = Map.copyOf(sessionEnv);
        this.watchdogScript = watchdogScript;
        this.instanceId = instanceId;
        this.user = user;
        this.dir = dir;
        this.home = home;
        this.sshd = sshd;
        this.hostName = hostName;
        this.consoleFingerprint = consoleFingerprint;
        this.consoleKeyLine = consoleKeyLine;
    }

    /**
     * Creates the user and home, seeds the home from {@code seed} (an image's copy of another stand-in's home) and
     * starts sshd.
     *
     * @param authorizedKey the public key of the instance's key pair, if it has one
     * @param stranger      print another key's fingerprint on the console than sshd presents (an impostor)
     * @param silent        print no host keys on the console at all
     * @param sessionEnv    the environment of every session: where the AWS APIs and the instance metadata are
     * @param watchdog      cgrender's watchdog, if the instance's user data installs it
     * @param metadata      the instance's metadata service, closed with the stand-in
     */
    static Standin create(String instanceId, Path root, Optional<String> authorizedKey, Optional<Path> seed,
                          String privateIp, boolean stranger, boolean silent, Map<String, String> sessionEnv,
                          Optional<String> watchdog, AutoCloseable metadata) {
        String user = "cgr-" + instanceId.substring(2);
        Path dir = root.resolve(instanceId);
        Path home = dir.resolve("home");
        List<Runnable> undo = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            undo.add(() -> deleteTree(dir));
            // The home exists before the user does: a user whose home is missing counts as stale (Standins).
            Files.createDirectory(home);
            if (seed.isPresent()) {
                OsCommand.run(TOOL_TIMEOUT, "cp", "-a", seed.get() + "/.", home.toString()).requireSuccess();
                Files.deleteIfExists(home.resolve(".ssh/authorized_keys"));
            }
            LocalUser.create(user, home, COMMENT + instanceId);
            undo.add(0, () -> LocalUser.delete(user));
            Path ssh = Files.createDirectories(home.resolve(".ssh"));
            Files.writeString(ssh.resolve("authorized_keys"), authorizedKey.map(k -> k.strip() + "\n").orElse(""));
            Files.setPosixFilePermissions(ssh.resolve("authorized_keys"), PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
            OsCommand.run(TOOL_TIMEOUT, "chown", "-R", user + ":" + user, home.toString()).requireSuccess();
            LocalSshd sshd = LocalSshd.startFor(user, ".ssh/authorized_keys", sessionEnv);
            undo.add(0, sshd::close);
            String hostName = "ip-" + privateIp.replace('.', '-');
            String fingerprint;
            String keyLine;
            if (stranger) {
                Path impostor = dir.resolve("impostor_ed25519_key");
                OsCommand.run(TOOL_TIMEOUT, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", impostor.toString())
                        .requireSuccess();
                String[] line = Files.readString(impostor.resolveSibling("impostor_ed25519_key.pub")).split("\\s+");
                keyLine = line[0] + " " + line[1];
                fingerprint = OsCommand.run(TOOL_TIMEOUT, "ssh-keygen", "-l", "-E", "sha256", "-f",
                        impostor + ".pub").requireSuccess().stdout().split("\\s+")[1];
            } else {
                keyLine = sshd.hostKeyLine();
                fingerprint = sshd.hostKeyFingerprint();
            }
            Standin standin = new Standin(instanceId, user, dir, home, sshd, hostName, fingerprint, keyLine, silent,
                    sessionEnv, watchdog, metadata);
            standin.booted();
            return standin;
        } catch (IOException | RuntimeException e) {
            RuntimeException failure = e instanceof RuntimeException r ? r
                    : new UncheckedIOException("cannot create the stand-in of " + instanceId, (IOException) e);
            for (Runnable step : undo) {
                try {
                    step.run();
                } catch (RuntimeException cleanup) {
                    failure.addSuppressed(cleanup);
                }
            }
            throw failure;
        }
    }

    String hostKeyLine() {
        return sshd.hostKeyLine();
    }

    int port() {
        return sshd.port();
    }

    boolean isRunning() {
        return sshd.isRunning();
    }

    /** What sshd logged: who logged in, what ran. */
    String sshdLog() {
        return sshd.log();
    }

    /** The paths below the home, relative to it, sorted. */
    List<String> homeFiles() {
        try (var files = Files.walk(home)) {
            return files.filter(p -> !p.equals(home)).map(p -> home.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The instance stopped: sshd and every process of the user end, the disk stays. */
    void stop() {
        sshd.stop();
        LocalUser.endProcesses(user);
        endWatchdog();
    }

    /** The instance started again: same disk and host key, a new address. */
    void restart() {
        LocalUser.endProcesses(user);
        endWatchdog();
        sshd.restartOnNewPort();
        booted();
    }

    /** What a boot does: the address is known (for test JVMs that attach), the watchdog runs. */
    private void booted() {
        try {
            Files.writeString(dir.resolve(ENDPOINT_FILE), "127.0.0.1 " + sshd.port() + " " + user + "\n");
            Files.writeString(dir.resolve(CONSOLE_FILE), console());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot describe the stand-in of " + instanceId, e);
        }
        startWatchdog();
    }

    /** The file (in the stand-in's directory) holding "host port user", for JVMs that attach. */
    static final String ENDPOINT_FILE = "endpoint";
    /** The file (in the stand-in's directory) holding the console output, for JVMs that attach. */
    static final String CONSOLE_FILE = "console.txt";

    private void startWatchdog() {
        if (watchdogScript.isEmpty()) {
            return;
        }
        try {
            Path script = Files.writeString(dir.resolve("watchdog.sh"), watchdogScript.get());
            Path state = Files.createDirectories(dir.resolve("watchdog-state"));
            Path power = Files.createDirectories(dir.resolve("power"));
            OsCommand.run(TOOL_TIMEOUT, "chown", user + ":" + user, state.toString(), power.toString())
                    .requireSuccess();
            List<String> command = new ArrayList<>(List.of("runuser", "-u", user, "--", "env", "-i",
                    "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "CGRENDER_HOME=" + home,
                    "CGRENDER_STATE_DIR=" + state, "CGRENDER_LOGIN_USER=" + user, "CGRENDER_INTERVAL=1",
                    "CGRENDER_SHUTDOWN=touch " + power.resolve(HALT)));
            sessionEnv.forEach((k, v) -> command.add(k + "=" + v));
            command.addAll(List.of("bash", script.toString()));
            watchdog = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("watchdog.log").toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the watchdog of " + instanceId, e);
        }
    }

    private void closeMetadata() {
        try {
            metadata.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the metadata service of " + instanceId, e);
        }
    }

    private void endWatchdog() {
        if (watchdog != null) {
            watchdog.destroy();
            watchdog = null;
        }
    }

    private static final String HALT = "halt";

    /** Whether the instance's watchdog asked to power it off (its {@code shutdown -h now}); asking again resets. */
    boolean haltRequested() {
        try {
            return Files.deleteIfExists(dir.resolve("power").resolve(HALT));
        } catch (IOException e) {
            return false;
        }
    }

    /** What the stand-in's watchdog logged. */
    String watchdogLog() {
        Path log = dir.resolve("watchdog.log");
        return Files.exists(log) ? read(log) : "";
    }

    /** The session environment of the stand-in. */
    Map<String, String> sessionEnv() {
        return sessionEnv;
    }

    /** A copy of the disk, for an image made of this instance. */
    Path snapshot(Path into) {
        OsCommand.run(TOOL_TIMEOUT, "cp", "-a", home.toString(), into.toString()).requireSuccess();
        return into;
    }

    /**
     * What cloud-init prints on an Ubuntu instance's console, with this stand-in's host key (or the impostor's): the
     * fingerprint block through syslog, the key block as it is.
     */
    String console() {
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("MMM d HH:mm:ss",
                Locale.ROOT));
        String prefix = "<14>" + stamp + " cloud-init: ";
        StringBuilder out = new StringBuilder();
        out.append("[    0.000000] Linux version 6.8.0-1018-aws (buildd@lcy02-amd64-046) #19-Ubuntu SMP\n");
        out.append("[    9.314159] cloud-init[612]: Cloud-init v. 24.1.3-0ubuntu3.3 running 'init' at ")
                .append(stamp).append(". Up 9.21 seconds.\n");
        out.append("[   10.271828] cloud-init[612]: Generating public/private ed25519 key pair.\n");
        if (silent) {
            return out.toString().replace("\n", "\r\n");
        }
        out.append(prefix).append("#############################################################\n");
        out.append(prefix).append("-----BEGIN SSH HOST KEY FINGERPRINTS-----\n");
        out.append(prefix).append("256 ").append(consoleFingerprint).append(" root@").append(hostName)
                .append(" (ED25519)\n");
        out.append(prefix).append("-----END SSH HOST KEY FINGERPRINTS-----\n");
        out.append(prefix).append("#############################################################\n");
        out.append("-----BEGIN SSH HOST KEY KEYS-----\n");
        out.append(consoleKeyLine).append(" root@").append(hostName).append('\n');
        out.append("-----END SSH HOST KEY KEYS-----\n");
        out.append("[   14.141421] cloud-init[1017]: Cloud-init v. 24.1.3-0ubuntu3.3 finished at ").append(stamp)
                .append(". Datasource DataSourceEc2Local.  Up 14.12 seconds\n");
        return out.toString().replace("\n", "\r\n");
    }

    /** Ends sshd and every process of the user, deletes the user and the disk. */
    void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (Runnable step : List.<Runnable>of(sshd::close, () -> LocalUser.endProcesses(user), this::endWatchdog,
                this::closeMetadata, () -> LocalUser.delete(user), () -> deleteTree(dir))) {
            try {
                step.run();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.remove(0);
            failures.forEach(first::addSuppressed);
            throw first;
        }
    }

    static void deleteTree(Path root) {
        if (Files.exists(root)) {
            OsCommand.run(TOOL_TIMEOUT, "rm", "-rf", "--one-file-system", root.toString()).requireSuccess();
        }
    }

    @Override
    public String toString() {
        return "stand-in of " + instanceId + " (user " + user + ", sshd on 127.0.0.1:" + port() + ")";
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
