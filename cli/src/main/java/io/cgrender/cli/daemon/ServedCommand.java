package io.cgrender.cli.daemon;

import io.cgrender.cli.Invocation;
import io.cgrender.cli.Main;
import io.cgrender.cli.Terminal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One front end's command, run by the daemon on this thread: the handshake, the command with the front end's
 * environment and terminal, its output as frames, and its end: the exit code, or, when the front end is interrupted
 * or goes away, the command's interrupt hooks, as its own JVM would run them, then the end.
 */
final class ServedCommand implements Runnable {

    /** The exit code of a command ended by Ctrl-C (128 + SIGINT), as the front end's JVM would give it. */
    static final int INTERRUPTED = 130;

    /** How long a connection may take to send its command and say GO. */
    private static final long HANDSHAKE_TIMEOUT_MS = 10_000;

    /** How long an interrupted command has, after its hooks, to end before the daemon retires. */
    private static final long STRAY_TIMEOUT_MS = 30_000;

    private final SocketChannel channel;
    private final Wire wire;
    private final Daemon daemon;
    private final PrintWriter out;
    private final PrintWriter err;
    private volatile CommandInterrupts interrupts;
    private volatile Thread command;
    /** RUNNING, then either ENDED (the command's own end) or INTERRUPTING (its hooks run), then ENDED. */
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private static final int RUNNING = 0;
    private static final int INTERRUPTING = 1;
    private static final int ENDED = 2;

    ServedCommand(SocketChannel channel, Daemon daemon) {
        this.channel = channel;
        this.wire = new Wire(channel);
        this.out = writer(Wire.OUT);
        this.err = writer(Wire.ERR);
        this.daemon = daemon;
    }

    @Override
    public void run() {
        try {
            Optional<Started> started = handshake();
            if (started.isPresent()) {
                runCommand(started.get());
            }
        } catch (IOException e) {
            // The front end went away during the handshake: it runs the command itself, or not at all.
        } finally {
            daemon.ended(this);
        }
    }

    private record Started(Request request, Invocation invocation, CommandInterrupts interrupts) {
    }

    private Optional<Started> handshake() throws IOException {
        ScheduledFuture<?> timeout = daemon.timer().schedule(wire::close, HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        try {
            if (!daemon.isSameUser(channel)) {
                daemon.log("refused a connection from another user");
                return close();
            }
            Wire.Frame first = wire.read();
            if (first.type() == Wire.PING) {
                wire.write(Wire.PONG, ByteBuffer.allocate(8).putLong(ProcessHandle.current().pid()).array());
                return close();
            }
            if (first.type() != Wire.REQUEST) {
                return close();
            }
            Request request = Request.decode(first.payload());
            if (!request.build().equals(daemon.address().build())) {
                return decline("this daemon runs another build of cgrender");
            }
            CommandInterrupts interrupts = new CommandInterrupts();
            Invocation invocation = new Invocation(InputStream.nullInputStream(), request.env(),
                    Terminal.of(request.terminal(), request.columns()), interrupts);
            Optional<String> why = ServePolicy.declines(invocation, request.args());
            if (why.isPresent()) {
                return decline(why.get());
            }
            wire.write(Wire.ACCEPT);
            if (wire.read().type() != Wire.GO) {
                return close();
            }
            return Optional.of(new Started(request, invocation, interrupts));
        } finally {
            timeout.cancel(false);
        }
    }

    private Optional<Started> decline(String why) throws IOException {
        wire.write(Wire.DECLINE, why.getBytes(StandardCharsets.UTF_8));
        return close();
    }

    private Optional<Started> close() {
        wire.close();
        return Optional.empty();
    }

    private void runCommand(Started started) {
        interrupts = started.interrupts();
        command = Thread.currentThread();
        Thread listener = new Thread(this::listen, "cgrender-daemon-listener");
        listener.setDaemon(true);
        listener.start();
        int code;
        try {
            code = Main.run(started.invocation(), out, err, started.request().args().toArray(String[]::new));
        } catch (RuntimeException | Error e) {
            err.println("error: unexpected " + e.getClass().getSimpleName() + " in the cgrender daemon: "
                    + e.getMessage() + " (CGRENDER_DAEMON=off runs the command without it)");
            daemon.log("a command failed unexpectedly: " + e);
            code = Main.FAILURE;
        }
        out.flush();
        err.flush();
        if (state.compareAndSet(RUNNING, ENDED)) {
            sendExit(code);
        }
        // else interrupted: the command ends once its hooks have run
    }

    /** Waits for the front end's interrupt, or its going away, and then interrupts the command. */
    private void listen() {
        try {
            while (wire.read().type() != Wire.INTERRUPT) {
                // nothing else is expected once the command runs
            }
        } catch (IOException gone) {
            // closed: by the end of the command, or because the front end was killed or lost
        }
        if (interrupt() && awaitEnd(STRAY_TIMEOUT_MS)) {
            daemon.retire(this, "an interrupted command did not end within " + STRAY_TIMEOUT_MS / 1000
                    + "s of its hooks");
        }
    }

    /**
     * Interrupts the running command as Ctrl-C would interrupt it in a JVM of its own: runs its interrupt hooks, then
     * ends it with {@link #INTERRUPTED}. Returns whether it did (false: the command had already ended, or is being
     * interrupted).
     */
    boolean interrupt() {
        if (command == null || !state.compareAndSet(RUNNING, INTERRUPTING)) {
            return false;
        }
        try {
            interrupts.fire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        command.interrupt();
        state.set(ENDED);
        sendExit(INTERRUPTED);
        return true;
    }

    /** Waits up to {@code millis} for the command's thread to end; returns whether it is still running. */
    private boolean awaitEnd(long millis) {
        try {
            command.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return command.isAlive();
    }

    /** Says that the daemon is stopping and interrupts the command (see {@link #interrupt()}). */
    void stopping() {
        if (command != null && state.get() == RUNNING) {
            err.println("the cgrender daemon is stopping: interrupting the command");
        }
        interrupt();
    }

    private void sendExit(int code) {
        try {
            wire.write(Wire.EXIT, ByteBuffer.allocate(4).putInt(code).array());
        } catch (IOException gone) {
            // the front end went away; nothing waits for the code
        }
        wire.close();
    }

    private PrintWriter writer(byte type) {
        return new PrintWriter(new OutputStreamWriter(wire.stream(type), StandardCharsets.UTF_8), true);
    }
}
