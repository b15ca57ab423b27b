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
 * {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}), and where what cgrender installs as root goes ({@code CGRENDER_ROOT},
 * {@code CGRENDER_SYSTEMCTL}: the stand-in's root directory and systemctl), and the pace of its scripts' retries and
 * spot checks ({@code CGRENDER_RETRY_PAUSE}, {@code CGRENDER_SPOT_POLL}), and nothing else: no credentials. The box
 * agent, once installed and enabled, runs as systemd would run it ({@link #superviseAgent}). When the instance's user data
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
    private final Optional<String> userData;
    /** The part of the instance's disk outside the home that cgrender's scripts write ({@link StandinBoot}). */
    final Path root;
    private final AutoCloseable metadata;
    private Process watchdog;
    /** The box agent, once the box installed and enabled it; restarted whenever it ends, as systemd would. */
    private Process agent;
    private int agentStarts;
    /** The address moto gave the instance when the stand-in last (re)started: a new one means it was restarted. */
    String address;
    /**
     * Reached as the login user cgrender asks for, rather than always as {@link #user}: an instance whose image has a
     * user of its own, which cgrender must be told ({@code --login-user}); any other name is refused by sshd.
     */
    boolean ownLoginUser;

    private Standin(String instanceId, String user, Path dir, Path home, LocalSshd sshd, String hostName,
                    String consoleFingerprint, String consoleKeyLine, boolean silent, Map<String, String> sessionEnv,
                    Optional<String> userData, AutoCloseable metadata) {
        this.silent = silent;
        this.metadata = metadata;
        this.sessionEnv = Map.copyOf(sessionEnv);
        this.userData = userData;
        this.root = dir.resolve("root");
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
     * Creates the user and home, seeds the home and root directory from {@code seed} (an image's copy of another
     * stand-in's disk), starts sshd and boots.
     *
     * @param authorizedKey the public key of the instance's key pair, if it has one
     * @param stranger      print another key's fingerprint on the console than sshd presents (an impostor)
     * @param silent        print no host keys on the console at all
     * @param sessionEnv    the environment of every session: where the AWS APIs and the instance metadata are
     * @param userData      cgrender's user data of the instance, if it has it: cloud-init runs it on the first boot
     * @param metadata      the instance's metadata service, closed with the stand-in
     */
    static Standin create(String instanceId, Path root, Optional<String> authorizedKey, Optional<Path> seed,
                          String privateIp, boolean stranger, boolean silent, Map<String, String> sessionEnv,
                          Optional<String> userData, AutoCloseable metadata) {
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
                OsCommand.run(TOOL_TIMEOUT, "cp", "-a", seed.get() + "/home/.", home.toString()).requireSuccess();
                OsCommand.run(TOOL_TIMEOUT, "cp", "-a", seed.get() + "/root", dir.toString()).requireSuccess();
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
                    sessionEnv, userData, metadata);
            standin.booted(true);
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
        endAgent();
    }

    /** The instance started again: same disk and host key, a new address. */
    void restart() {
        LocalUser.endProcesses(user);
        endWatchdog();
        endAgent();
        sshd.restartOnNewPort();
        booted(false);
    }

    /**
     * What a boot does: the address is known (for test JVMs that attach), the console starts anew (on the first boot
     * with what cloud-init prints, the host keys it made among it), and what the box installed runs
     * ({@link StandinBoot}): its boot script may add to the console, its watchdog starts.
     */
    private void booted(boolean first) {
        try {
            Files.writeString(dir.resolve(ENDPOINT_FILE), "127.0.0.1 " + sshd.port() + " " + user + "\n");
            Files.writeString(dir.resolve(CONSOLE_FILE), first ? cloudInitConsole() : kernelConsole());
            if (first) {
                // cloud-init makes the instance's host keys on its first boot; they stay on its disk
                Path keys = Files.createDirectories(root.resolve("etc/ssh"));
                Files.writeString(keys.resolve("ssh_host_ed25519_key.pub"), consoleKeyLine + " root@" + hostName
                        + "\n");
            }
            Path state = Files.createDirectories(root.resolve("var/lib/cgrender"));
            Path power = Files.createDirectories(dir.resolve("power"));
            OsCommand.run(TOOL_TIMEOUT, "chown", user + ":" + user, state.toString(), power.toString(),
                    dir.resolve(CONSOLE_FILE).toString()).requireSuccess();
            // the stand-in's / is the user's: what cgrender installs there as root over SSH, the user installs
            OsCommand.run(TOOL_TIMEOUT, "chown", "-R", user + ":" + user, root.toString()).requireSuccess();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot describe the stand-in of " + instanceId, e);
        }
        Map<String, String> env = new java.util.LinkedHashMap<>(sessionEnv);
        env.put("CGRENDER_CONSOLE", dir.resolve(CONSOLE_FILE).toString());
        env.put("CGRENDER_HOME", home.toString());
        new StandinBoot(user, root, dir.resolve("bin"), dir.resolve("watchdog.log"), env)
                .boot(first, silent ? Optional.empty() : userData, new StandinBoot.Watchdog() {
                    @Override
                    public boolean checkOnce(Path script) {
                        return runWatchdog(script, true);
                    }

                    @Override
                    public void start(Path script) {
                        runWatchdog(script, false);
                    }

                    @Override
                    public void stop() {
                        endWatchdog();
                    }

                    @Override
                    public boolean running() {
                        return watchdog != null && watchdog.isAlive();
                    }
                });
    }

    /** The file (in the stand-in's directory) holding "host port user", for JVMs that attach. */
    static final String ENDPOINT_FILE = "endpoint";
    /** The file (in the stand-in's directory) holding the console output, for JVMs that attach. */
    static final String CONSOLE_FILE = "console.txt";

    /**
     * Runs the watchdog {@code script} as the stand-in's user, checking every second, with its sessions counted at
     * the stand-in's sshd and its shutdown turned into a power-off request: once ({@code --once}, returning whether it
     * asked to power off) or in the background.
     */
    private boolean runWatchdog(Path script, boolean once) {
        if (!Files.exists(script)) {
            return false;
        }
        List<String> command = new ArrayList<>(List.of("runuser", "-u", user, "--", "env", "-i",
                "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "CGRENDER_HOME=" + home,
                "CGRENDER_STATE_DIR=" + root.resolve("var/lib/cgrender"), "CGRENDER_LOGIN_USER=" + user,
                "CGRENDER_INTERVAL=1", "CGRENDER_SHUTDOWN=touch " + dir.resolve("power").resolve(HALT)));
        sessionEnv.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of("bash", script.toString()));
        if (once) {
            command.add("--once");
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("watchdog.log").toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!once) {
                watchdog = p;
                return false;
            }
            if (!p.waitFor(TOOL_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return Files.exists(dir.resolve("power").resolve(HALT));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the watchdog of " + instanceId, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the watchdog of " + instanceId + " checked", e);
        }
    }

    static final String AGENT_UNIT = "cgrender-agent.service";

    /**
     * What systemd does for {@code cgrender-agent.service} ({@code Restart=always}) while the instance runs: once the
     * box enabled the unit (its agent installed over SSH, or carried by the image it was launched from), the agent runs
     * as the stand-in's user, with its shutdown turned into a power-off request, and is started again whenever it ends.
     */
    void superviseAgent() {
        Path script = root.resolve("usr/local/lib/cgrender/agent.sh");
        if (!sshd.isRunning() || (agent != null && agent.isAlive()) || !Files.exists(script)
                || !Files.exists(root.resolve("etc/systemd/system/multi-user.target.wants").resolve(AGENT_UNIT))) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("runuser", "-u", user, "--", "env", "-i",
                "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "CGRENDER_HOME=" + home,
                "CGRENDER_STATE_DIR=" + root.resolve("var/lib/cgrender"), "CGRENDER_LOGIN_USER=" + user,
                "CGRENDER_SHUTDOWN=touch " + dir.resolve("power").resolve(HALT),
                // Every poll is a new AWS CLI process, about a second of CPU: polling every 2 s kept a third of this
                // 2-core machine busy per idle box. A long poll returns as soon as a message arrives, and moto answers
                // other calls meanwhile (moto 5.2.1), so waiting longer costs no latency. It stays shorter than the
                // product's 20 s: moto finishes the poll of an agent killed meanwhile (stop, killAgent) and hides a
                // message it takes then for the queue's visibility timeout, so that window stays short.
                "CGRENDER_WAIT_SECONDS=10"));
        sessionEnv.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of("bash", script.toString()));
        try {
            agent = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            agentStarts++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the agent of " + instanceId, e);
        }
    }

    /** Runs {@code command} as the stand-in's user in its agent's environment, plus {@code env}. */
    io.cgrender.testkit.OsCommand.Result runOnBox(Map<String, String> env, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("runuser", "-u", user, "--", "env", "-i",
                "PATH=" + root.resolve("usr/local/bin") + ":/usr/local/bin:/usr/bin:/bin", "HOME=" + home,
                "CGRENDER_HOME=" + home, "CGRENDER_STATE_DIR=" + root.resolve("var/lib/cgrender"),
                "CGRENDER_LOGIN_USER=" + user, "CGRENDER_SHUTDOWN=touch " + dir.resolve("power").resolve(HALT)));
        sessionEnv.forEach((k, v) -> argv.add(k + "=" + v));
        env.forEach((k, v) -> argv.add(k + "=" + v));
        argv.addAll(command);
        return io.cgrender.testkit.OsCommand.run(TOOL_TIMEOUT, argv);
    }

    /** How often the agent was started (a restart after it ended counts too). */
    int agentStarts() {
        return agentStarts;
    }

    /** Kills the agent's shell with SIGKILL, as a crash would; the supervision starts it again. */
    void killAgent() {
        if (agent != null) {
            agent.descendants().filter(p -> p.info().command().map(c -> c.endsWith("bash")).orElse(false))
                    .forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** What the agent logged. */
    String agentLog() {
        Path log = dir.resolve("agent.log");
        return Files.exists(log) ? read(log) : "";
    }

    private void endAgent() {
        if (agent != null) {
            agent.descendants().forEach(ProcessHandle::destroyForcibly);
            agent.destroyForcibly();
            agent = null;
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

    /** A copy of the disk (home and root directory), for an image made of this instance. */
    Path snapshot(Path into) {
        try {
            Files.createDirectories(into);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        OsCommand.run(TOOL_TIMEOUT, "cp", "-a", home.toString(), into.resolve("home").toString()).requireSuccess();
        if (Files.exists(root)) {
            OsCommand.run(TOOL_TIMEOUT, "cp", "-a", root.toString(), into.resolve("root").toString())
                    .requireSuccess();
        }
        return into;
    }

    /** What the instance's console shows now: what this boot printed. */
    String console() {
        return read(dir.resolve(CONSOLE_FILE));
    }

    /** What the kernel prints on the console at every boot. */
    private static String kernelConsole() {
        return "[    0.000000] Linux version 6.8.0-1018-aws (buildd@lcy02-amd64-046) #19-Ubuntu SMP\r\n";
    }

    /**
     * What cloud-init prints on an Ubuntu instance's console on its first boot, with this stand-in's host key (or the
     * impostor's): the fingerprint block through syslog, the key block as it is.
     */
    private String cloudInitConsole() {
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("MMM d HH:mm:ss",
                Locale.ROOT));
        String prefix = "<14>" + stamp + " cloud-init: ";
        StringBuilder out = new StringBuilder(kernelConsole().replace("\r\n", "\n"));
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
                this::endAgent, this::closeMetadata, () -> LocalUser.delete(user), () -> deleteTree(dir))) {
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
