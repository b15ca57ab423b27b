package io.cgrender.cli.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** The daemon of an environment as {@code cgrender daemon} sees it: whether it runs, and stopping it. */
public final class DaemonStatus {

    private final DaemonAddress address;

    private DaemonStatus(DaemonAddress address) {
        this.address = address;
    }

    /** The daemon this process's build would use with {@code env}; empty when it could have none. */
    public static Optional<DaemonStatus> of(Map<String, String> env) {
        return DaemonAddress.of(env).map(DaemonStatus::new);
    }

    public DaemonAddress address() {
        return address;
    }

    /** The running daemon's process, as the daemon says when asked on its socket. */
    public Optional<ProcessHandle> process() {
        OptionalLong pid = DaemonClient.ping(address);
        return pid.isEmpty() ? Optional.empty() : ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive);
    }

    /**
     * Stops the daemon (SIGTERM: its running commands are interrupted as by Ctrl-C, and clean up) and waits up to
     * {@code timeout} for it to end; returns whether it has.
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        Optional<ProcessHandle> daemon = process();
        if (daemon.isEmpty()) {
            return true;
        }
        daemon.get().destroy();
        try {
            daemon.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return !daemon.get().isAlive();
        }
    }

    static OptionalLong pid(DaemonAddress address) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(address.pidFile()).strip()));
        } catch (IOException | NumberFormatException none) {
            return OptionalLong.empty(); // no pid file (no daemon), or one being written
        }
    }
}
