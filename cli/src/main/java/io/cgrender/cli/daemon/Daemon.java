package io.cgrender.cli.daemon;

import io.cgrender.cli.Invocation;
import io.cgrender.cli.Main;
import io.cgrender.core.config.Settings;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The daemon: listens on its {@link DaemonAddress}, runs each front end's command on a thread of its own
 * ({@link ServedCommand}), and ends after {@code cgrender.daemon.idle-timeout} without a command, when its socket is
 * removed, or when it retires (a command it could not stop).
 */
public final class Daemon {

    /** reference.conf's cgrender.daemon.idle-timeout, for a configuration that cannot be read. */
    private static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);

    private static final long ACCEPT_RETRY_MS = 200;

    private final DaemonAddress address;
    private final Duration idleTimeout;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cgrender-daemon-timer");
        t.setDaemon(true);
        return t;
    });
    private final Set<ServedCommand> running = new HashSet<>();
    private final String user = System.getProperty("user.name");
    private Instant lastEnded = Instant.now();
    private Optional<String> retired = Optional.empty();
    private ServerSocketChannel server;
    private Object socketFile;

    private Daemon(DaemonAddress address, Duration idleTimeout) {
        this.address = address;
        this.idleTimeout = idleTimeout;
    }

    /** Started by {@link DaemonStarter} with the socket it is to serve, in the environment its front end had. */
    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        Optional<DaemonAddress> address = DaemonAddress.of(env);
        if (args.length != 1 || address.isEmpty() || !address.get().socket().toString().equals(args[0])) {
            System.err.println("cgrender daemon: started for " + String.join(" ", args) + ", but this environment's"
                    + " daemon is " + address.map(a -> a.socket().toString()).orElse("none"));
            System.exit(Main.USAGE);
        }
        Main.quietLibraries();
        Invocation invocation = new Invocation(InputStream.nullInputStream(), env);
        Duration idle;
        try {
            idle = Settings.load(invocation.dirs(), Optional.empty(), env, Map.of())
                    .duration("cgrender.daemon.idle-timeout");
        } catch (RuntimeException badConfiguration) {
            // Each command reports the configuration's mistake itself; the daemon serves meanwhile.
            idle = DEFAULT_IDLE_TIMEOUT;
            System.err.println("cgrender daemon: " + badConfiguration.getMessage() + "; ending after " + idle
                    + " without a command");
        }
        try {
            new Daemon(address.get(), idle).serve();
        } catch (IOException e) {
            System.err.println("cgrender daemon: " + e);
            System.exit(Main.FAILURE);
        }
        System.exit(Main.OK);
    }

    private void serve() throws IOException {
        Files.createDirectories(address.dir(), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(address.dir(), PosixFilePermissions.fromString("rwx------"));
        try (FileChannel lockFile = FileChannel.open(address.lock(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                log("another daemon holds " + address.lock() + " and serves; this one ends");
                return;
            }
            Path socket = address.socket();
            Files.deleteIfExists(socket); // a dead daemon's
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            socketFile = fileKey(socket);
            Path partial = Files.writeString(address.dir().resolve(address.key() + ".pid.part"),
                    ProcessHandle.current().pid() + "\n");
            Files.move(partial, address.pidFile(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            log("serving " + socket + " (pid " + ProcessHandle.current().pid() + "), ends after " + idleTimeout
                    + " without a command");
            timer.scheduleWithFixedDelay(this::checkEnd, 1, 1, TimeUnit.SECONDS);
            timer.execute(Daemon::warmUp);
            Runtime.getRuntime().addShutdownHook(new Thread(this::stopping, "cgrender-daemon-stopping"));
            accept();
            awaitNoneRunning();
            removeFiles();
        }
    }

    private void accept() throws IOException {
        while (true) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException e) {
                // e.g. out of file descriptors: the commands running go on; a new one is taken once it can be
                log("cannot accept a connection: " + e);
                try {
                    TimeUnit.MILLISECONDS.sleep(ACCEPT_RETRY_MS);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            ServedCommand command = new ServedCommand(channel, this);
            synchronized (this) {
                running.add(command);
            }
            Thread thread = new Thread(command, "cgrender-command");
            thread.start();
        }
    }

    /** SIGTERM (cgrender daemon --stop): every running command is interrupted as by its user's Ctrl-C. */
    private void stopping() {
        List<ServedCommand> commands;
        synchronized (this) {
            commands = List.copyOf(running);
        }
        if (!commands.isEmpty()) {
            log("stopping: interrupting " + commands.size() + " running command(s)");
        }
        List<Thread> interrupting = commands.stream()
                .map(c -> new Thread(c::stopping, "cgrender-daemon-interrupt")).toList();
        interrupting.forEach(Thread::start);
        for (Thread t : interrupting) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        removeFiles();
    }

    /** The pid file, and the socket unless it is another daemon's by now. */
    private void removeFiles() {
        try {
            if (DaemonStatus.pid(address).equals(java.util.OptionalLong.of(ProcessHandle.current().pid()))) {
                Files.deleteIfExists(address.pidFile());
            }
            if (socketFile.equals(fileKey(address.socket()))) {
                Files.deleteIfExists(address.socket());
            }
        } catch (IOException e) {
            log("cannot remove the socket or the pid file: " + e);
        }
    }

    private synchronized void awaitNoneRunning() {
        while (!running.isEmpty()) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Ends the daemon when it has been idle long enough, has lost its socket, or retired with nothing running. */
    private void checkEnd() {
        String why = null;
        synchronized (this) {
            if (!socketFile.equals(fileKey(address.socket()))) {
                why = "its socket was removed";
            } else if (retired.isPresent()) {
                why = "retired: " + retired.get();
            } else if (running.isEmpty() && !Instant.now().isBefore(lastEnded.plus(idleTimeout))) {
                why = "idle for " + idleTimeout;
            }
        }
        if (why != null) {
            log("ending: " + why);
            try {
                server.close();
            } catch (IOException e) {
                log("cannot close the socket: " + e);
            }
        }
    }

    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException gone) {
            return "gone";
        }
    }

    /**
     * Runs, before any front end waits for them, what every command does first: the commands' model, the
     * configuration, the plugins and roles (commands that read or change nothing, not even a cloud's state).
     */
    private static void warmUp() {
        PrintWriter nowhere = new PrintWriter(java.io.OutputStream.nullOutputStream());
        for (String[] args : new String[][] {{"help"}, {"list-roles"}, {"list-roles", "--json"}}) {
            Main.run(InputStream.nullInputStream(), nowhere, nowhere, System.getenv(), args);
        }
    }

    DaemonAddress address() {
        return address;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** Whether the peer on {@code channel} is this daemon's user (its directory is theirs only, but still). */
    boolean isSameUser(SocketChannel channel) {
        try {
            return channel.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName().equals(user);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    synchronized void ended(ServedCommand command) {
        running.remove(command);
        lastEnded = Instant.now();
        notifyAll();
    }

    /**
     * Takes no new command and ends once the other commands have ended: {@code stray} could not be stopped, and the
     * end of the process ends it, as it would have ended with a JVM of its own.
     */
    synchronized void retire(ServedCommand stray, String why) {
        log("retiring: " + why);
        retired = Optional.of(why);
        ended(stray);
        try {
            Files.deleteIfExists(address.socket());
        } catch (IOException e) {
            log("cannot remove the socket: " + e);
        }
    }

    void log(String message) {
        System.err.println(Instant.now() + " " + message);
    }
}
