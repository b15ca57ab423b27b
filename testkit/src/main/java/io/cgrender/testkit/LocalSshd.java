package io.cgrender.testkit;


import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's OpenSSH {@code sshd}, started as the current user on a free 127.0.0.1 port with its own generated
 * ed25519 host key, public-key authentication only (keys from a file the test fills with {@link #authorize}) and
 * the {@code internal-sftp} subsystem. Everything it uses lives in one temporary directory that {@link #close()}
 * deletes.
 * <p>
 * Tests that start one are skipped (on CI they fail: {@link Requirement}) where {@code /usr/sbin/sshd} is missing.
 * A JVM shutdown hook kills any server a test forgot to close.
 */
public final class LocalSshd implements AutoCloseable {

    public static final Path SSHD = Path.of("/usr/sbin/sshd");
    public static final String HOST = "127.0.0.1";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    private static final int BIND_ATTEMPTS = 5;
    private static final Set<LocalSshd> RUNNING = ConcurrentHashMap.newKeySet();
    private static final String DEFAULT_KEY_TYPE = "ed25519";
    private static final Pattern OPENSSH_VERSION = Pattern.compile("OpenSSH_(\\d+)\\.(\\d+)");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(LocalSshd::kill),
                "local-sshd-reaper"));
    }

    private final Path dir;
    /** Host key types ({@code ssh-keygen -t} names), the first being the one {@link #hostKeyLine()} reports. */
    private final Set<String> hostKeyTypes = new LinkedHashSet<>(List.of(DEFAULT_KEY_TYPE));
    private final Path authorizedKeys;
    private final Path config;
    private final Path log;
    /** The only user allowed in, or null for the user running the tests (and anyone else sshd knows). */
    private final String loginUser;
    /** sshd's AuthorizedKeysFile: {@link #authorizedKeys} unless a login user brings their own. */
    private final String authorizedKeysSetting;
    /** Environment variables sshd sets in every session ({@code SetEnv}). */
    private final Map<String, String> sessionEnv;
    private int port;
    private Process process;
    private int hostKeyGeneration;

    private LocalSshd(Path dir, String loginUser, String authorizedKeysFile, Map<String, String> sessionEnv) {
        this.dir = dir;
        this.sessionEnv = Map.copyOf(sessionEnv);
        this.authorizedKeys = dir.resolve("authorized_keys");
        this.config = dir.resolve("sshd_config");
        this.log = dir.resolve("sshd.log");
        this.loginUser = loginUser;
        this.authorizedKeysSetting = authorizedKeysFile == null ? authorizedKeys.toString() : authorizedKeysFile;
    }

    /** Skips the calling test (fails it on CI), with the reason, unless OpenSSH's sshd and ssh-keygen are installed. */
    public static void assumeAvailable() {
        Requirement.require(Files.isExecutable(SSHD), SSHD + " is not installed (Debian package openssh-server),"
                + " and the test needs a real OpenSSH server");
        Requirement.require(onPath("ssh-keygen"), "ssh-keygen is not installed (Debian package openssh-client),"
                + " and the test needs a real OpenSSH server");
    }

    /** Starts a server on a free port; skips the calling test if OpenSSH is not installed. */
    public static LocalSshd start() {
        return start(0);
    }

    /**
     * Starts a server on {@code port}, or on a free port if {@code port} is 0; skips the calling test if OpenSSH is
     * not installed.
     */
    public static LocalSshd start(int port) {
        return start(port, null, null);
    }

    /**
     * Starts a server on a free port that lets only {@code loginUser} (an existing local user) log in, with the keys
     * in {@code authorizedKeysFile} (sshd's {@code AuthorizedKeysFile} syntax, e.g. {@code .ssh/authorized_keys}
     * below the user's home, which the user must be able to read). sshd must run as root for this, as on any real
     * machine. Skips the calling test if OpenSSH is not installed.
     */
    public static LocalSshd startFor(String loginUser, String authorizedKeysFile) {
        return start(0, loginUser, authorizedKeysFile, Map.of());
    }

    /**
     * As {@link #startFor(String, String)}, with environment variables set in every session (sshd's {@code SetEnv};
     * values without white space), as a machine's network configuration would: e.g. where its AWS endpoints are.
     */
    public static LocalSshd startFor(String loginUser, String authorizedKeysFile,
                                     Map<String, String> sessionEnv) {
        return start(0, loginUser, authorizedKeysFile, sessionEnv);
    }

    private static LocalSshd start(int port, String loginUser, String authorizedKeysFile) {
        return start(port, loginUser, authorizedKeysFile, Map.of());
    }

    private static LocalSshd start(int port, String loginUser, String authorizedKeysFile,
                                   Map<String, String> sessionEnv) {
        assumeAvailable();
        LocalSshd sshd;
        try {
            Path dir = Files.createTempDirectory("cgrender-sshd-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            sshd = new LocalSshd(dir, loginUser, authorizedKeysFile, sessionEnv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for sshd", e);
        }
        RUNNING.add(sshd);
        try {
            sshd.generateHostKey(DEFAULT_KEY_TYPE);
            Files.createFile(sshd.authorizedKeys,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            ensurePrivilegeSeparationDirectory();
            sshd.launch(port);
            return sshd;
        } catch (IOException | RuntimeException e) {
            try {
                sshd.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot start sshd: " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    public String host() {
        return HOST;
    }

    public synchronized int port() {
        return port;
    }

    /** The user sshd lets log in: the one given to {@link #startFor}, else the one running the tests. */
    public String user() {
        return loginUser != null ? loginUser : System.getProperty("user.name");
    }

    /** The temporary directory holding the server's config, keys and log. */
    public Path dir() {
        return dir;
    }

    public Path authorizedKeysFile() {
        return authorizedKeys;
    }

    /** Lets the holder of this OpenSSH public key ({@code "ssh-ed25519 AAAA… [comment]"}) log in. */
    public void authorize(String publicKeyLine) {
        try {
            Files.writeString(authorizedKeys, publicKeyLine.trim() + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + authorizedKeys, e);
        }
    }

    /** The ed25519 host key's public line without comment, {@code "ssh-ed25519 AAAA…"}, as known_hosts holds it. */
    public String hostKeyLine() {
        return hostKeyLine(DEFAULT_KEY_TYPE);
    }

    /** The public line of the host key of {@code type} ({@code ed25519}, {@code ecdsa}, {@code rsa}). */
    public synchronized String hostKeyLine(String type) {
        try {
            String[] fields = Files.readString(publicKey(hostKey(type))).trim().split("\\s+");
            return fields[0] + " " + fields[1];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the " + type + " host key of sshd", e);
        }
    }

    /** The ed25519 host key's fingerprint as {@code ssh-keygen -lf} prints it: {@code SHA256:…}. */
    public String hostKeyFingerprint() {
        return hostKeyFingerprint(DEFAULT_KEY_TYPE);
    }

    /** The fingerprint of the host key of {@code type}, as {@code ssh-keygen -lf} prints it. */
    public synchronized String hostKeyFingerprint(String type) {
        String out = OsCommand.run(TOOL_TIMEOUT, "ssh-keygen", "-l", "-E", "sha256", "-f", publicKey(hostKey(type))
                .toString()).requireSuccess().stdout().trim();
        String[] fields = out.split("\\s+");
        if (fields.length < 2 || !fields[1].startsWith("SHA256:")) {
            throw new IllegalStateException("unexpected ssh-keygen -lf output: " + out);
        }
        return fields[1];
    }

    /**
     * Simulates a rebuilt machine at the same address: stops the server (ending every session), generates new host
     * keys and starts again on the same port.
     */
    public synchronized void replaceHostKey() {
        stopProcess();
        try {
            for (String type : hostKeyTypes) {
                Files.deleteIfExists(hostKey(type));
                Files.deleteIfExists(publicKey(hostKey(type)));
                generateHostKey(type);
            }
            launch(port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace the host key of sshd", e);
        }
    }

    /**
     * Gives the server another host key, of {@code type} ({@code ecdsa}, {@code rsa}), and restarts it: like a cloud
     * machine, which has one of each. {@link #hostKeyLine()} still reports the ed25519 key.
     */
    public synchronized void addHostKey(String type) {
        if (!hostKeyTypes.add(type)) {
            return;
        }
        generateHostKey(type);
        restart();
    }

    /** Stops the server and every session it started, keeping its keys and port for {@link #restart()}. */
    public synchronized void stop() {
        stopProcess();
    }

    /**
     * Starts the server again on a new free port with the same host keys, like a cloud machine that was stopped and
     * started (it keeps its disk and keys, but gets a new address).
     */
    public synchronized void restartOnNewPort() {
        stopProcess();
        try {
            launch(0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart sshd", e);
        }
    }

    /** Starts a stopped server again on the same port with the same host key, like a rebooted machine. */
    public synchronized void restart() {
        stopProcess();
        try {
            launch(port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart sshd", e);
        }
    }

    /** What sshd has logged so far (it runs with {@code -e}); for diagnostics and assertions. */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Kills the server and every session it started, waits for them (bounded), and deletes its directory. */
    @Override
    public synchronized void close() {
        try {
            stopProcess();
        } finally {
            RUNNING.remove(this);
            deleteTree(dir);
        }
    }

    // ---------------------------------------------------------------- internals

    private void generateHostKey(String type) {
        hostKeyGeneration++;
        OsCommand.run(TOOL_TIMEOUT, "ssh-keygen", "-q", "-t", type, "-N", "", "-C",
                "cgrender-local-sshd-" + hostKeyGeneration, "-f", hostKey(type).toString()).requireSuccess();
    }

    private Path hostKey(String type) {
        return dir.resolve("ssh_host_" + type + "_key");
    }

    /** Starts sshd on {@code requestedPort} (0: a free one, retried on a lost race) and waits until it answers. */
    private void launch(int requestedPort) throws IOException {
        int attempts = requestedPort == 0 ? BIND_ATTEMPTS : 1;
        String failure = "";
        for (int attempt = 1; attempt <= attempts; attempt++) {
            port = requestedPort == 0 ? FreePort.find() : requestedPort;
            writeConfig();
            long logStart = Files.exists(log) ? Files.size(log) : 0;
            process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            failure = awaitReady(logStart);
            if (failure.isEmpty()) {
                return;
            }
            stopProcess();
            if (!failure.contains("Address already in use")) {
                break;
            }
        }
        throw new IllegalStateException("sshd did not start on " + HOST + ":" + port + ": " + failure);
    }

    /** Polls until sshd sends its SSH banner; returns "" when ready, else what went wrong (with its log). */
    private String awaitReady(long logStart) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                return "it exited with " + process.exitValue() + "; its log says: " + logSince(logStart);
            }
            if (answersWithBanner()) {
                return "";
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted while waiting for it";
            }
        }
        return "no SSH banner within " + READY_TIMEOUT.toSeconds() + "s; its log says: " + logSince(logStart);
    }

    private boolean answersWithBanner() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(HOST), port), 500);
            socket.setSoTimeout(2000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            String line = in.readLine();
            return line != null && line.startsWith("SSH-2.0-");
        } catch (IOException e) {
            return false;
        }
    }

    private String logSince(long offset) {
        String all = log();
        return all.length() > offset ? all.substring((int) offset).trim() : "(nothing)";
    }

    private void writeConfig() throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "# generated by cgrender's test kit",
                "Port " + port,
                "ListenAddress " + HOST,
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + authorizedKeysSetting,
                "AuthenticationMethods publickey",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "UseDNS no",
                "PrintMotd no",
                "PrintLastLog no",
                "X11Forwarding no",
                "LoginGraceTime 30",
                "MaxStartups 100:30:200",
                "MaxSessions 64",
                "LogLevel VERBOSE",
                "Subsystem sftp internal-sftp"));
        for (String type : hostKeyTypes) {
            lines.add("HostKey " + hostKey(type));
        }
        if (loginUser != null) {
            lines.add("AllowUsers " + loginUser);
        }
        if (!sessionEnv.isEmpty()) {
            StringBuilder setEnv = new StringBuilder("SetEnv");
            new TreeMap<>(sessionEnv).forEach((k, v) -> {
                if (v.isEmpty() || v.chars().anyMatch(Character::isWhitespace) || v.contains("\"")) {
                    throw new IllegalArgumentException("a session variable sshd cannot set: " + k + "=" + v);
                }
                setEnv.append(' ').append(k).append('=').append(v);
            });
            lines.add(setEnv.toString());
        }
        if (opensshAtLeast(9, 8)) {
            // 9.8 penalises sources whose connections fail; tests make such connections on purpose.
            lines.add("PerSourcePenalties no");
        }
        Files.write(config, lines, StandardCharsets.UTF_8);
    }

    private static boolean opensshAtLeast(int major, int minor) {
        // sshd -V exists since 9.2; older servers print their version in the usage text of an unknown option.
        OsCommand.Result version = OsCommand.run(TOOL_TIMEOUT, SSHD.toString(), "-V");
        Matcher m = OPENSSH_VERSION.matcher(version.stderr() + version.stdout());
        if (!m.find()) {
            return false;
        }
        int foundMajor = Integer.parseInt(m.group(1));
        int foundMinor = Integer.parseInt(m.group(2));
        return foundMajor > major || (foundMajor == major && foundMinor >= minor);
    }

    /** sshd running as root refuses to start without its privilege separation directory. */
    private static void ensurePrivilegeSeparationDirectory() {
        Path privsep = Path.of("/run/sshd");
        if (Files.isDirectory(privsep)) {
            return;
        }
        try {
            Files.createDirectories(privsep,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (IOException | UnsupportedOperationException e) {
            // Only root needs it, and only root can create it: a non-root sshd starts without it.
        }
    }

    private void stopProcess() {
        if (process != null) {
            kill(process);
            process = null;
        }
    }

    private static void kill(LocalSshd sshd) {
        Process p = sshd.process;
        if (p != null) {
            kill(p);
        }
    }

    /** Ends sshd and its sessions (SIGTERM, then SIGKILL), polling a bounded time for them to go. */
    private static void kill(Process process) {
        ProcessFamily.end(process, STOP_TIMEOUT);
    }

    private static Path publicKey(Path privateKey) {
        return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
    }

    private static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String entry : path.split(":")) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program))) {
                return true;
            }
        }
        return false;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    @Override
    public String toString() {
        return "sshd on " + HOST + ":" + port + " (" + dir + ")";
    }
}
