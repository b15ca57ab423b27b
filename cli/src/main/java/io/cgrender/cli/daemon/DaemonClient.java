package io.cgrender.cli.daemon;

import io.cgrender.cli.Main;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The front end's side of a command the daemon runs: asks, and if the daemon accepts, relays its output to this
 * process's standard output and error, an interrupt of this process to it, and returns its exit code.
 */
final class DaemonClient {

    /**
     * How long the daemon has to connect and accept or decline. Past it the front end runs the command itself: nothing
     * has run yet, since the daemon starts a command only on {@link Wire#GO}.
     */
    static final long HANDSHAKE_TIMEOUT_MS = 1000;

    /** How long an interrupted command's cleanup may take before this process ends anyway (StepRunner's grace). */
    private static final long INTERRUPT_GRACE_SECONDS = 600;

    /** What became of the request. */
    sealed interface Outcome {
    }

    /** The daemon ran the command. */
    record Ran(int exitCode) implements Outcome {
    }

    /** The daemon will not run this command (e.g. it needs the terminal): the front end runs it. */
    record Declined(String why) implements Outcome {
    }

    /** No daemon answered (none, a dead one, a hung one). */
    record Unreachable(String why) implements Outcome {
    }

    private DaemonClient() {
    }

    static Outcome run(DaemonAddress address, Request request) {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            return new Unreachable("cannot open a socket: " + e.getMessage());
        }
        Wire wire = new Wire(channel);
        // Whoever sets 'decided' first wins: the watchdog, which closes the socket, or the front end, which says GO.
        // (It watches the connect too: a daemon that no longer accepts leaves connections waiting in its backlog.)
        AtomicBoolean decided = new AtomicBoolean();
        Timer watchdog = watchdog(wire, decided);
        try {
            channel.connect(UnixDomainSocketAddress.of(address.socket()));
            wire.write(Wire.REQUEST, request.encode());
            Wire.Frame answer = wire.read();
            if (answer.type() == Wire.DECLINE) {
                wire.close();
                return new Declined(new String(answer.payload(), StandardCharsets.UTF_8));
            }
            if (answer.type() != Wire.ACCEPT || !decided.compareAndSet(false, true)) {
                wire.close();
                return new Unreachable(answer.type() != Wire.ACCEPT ? "an unexpected answer" : "no answer in time");
            }
            wire.write(Wire.GO);
        } catch (IOException e) {
            wire.close();
            return new Unreachable(decided.get() ? "no answer in time" : e.getMessage());
        } finally {
            watchdog.cancel();
        }
        return new Ran(relay(wire, address));
    }

    /** The pid of the daemon listening at {@code address}, if one answers in time. */
    static OptionalLong ping(DaemonAddress address) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX); Wire wire = new Wire(channel)) {
            Timer watchdog = watchdog(wire, new AtomicBoolean());
            try {
                channel.connect(UnixDomainSocketAddress.of(address.socket()));
                wire.write(Wire.PING);
                Wire.Frame answer = wire.read();
                return answer.type() == Wire.PONG && answer.payload().length == 8
                        ? OptionalLong.of(ByteBuffer.wrap(answer.payload()).getLong()) : OptionalLong.empty();
            } finally {
                watchdog.cancel();
            }
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** Closes {@code wire} after the handshake's timeout, unless {@code decided} is set first. */
    private static Timer watchdog(Wire wire, AtomicBoolean decided) {
        Timer watchdog = new Timer("cgrender-handshake", true);
        watchdog.schedule(new TimerTask() {
            @Override
            public void run() {
                if (decided.compareAndSet(false, true)) {
                    wire.close();
                }
            }
        }, HANDSHAKE_TIMEOUT_MS);
        return watchdog;
    }

    /** Relays the running command's output until its exit code; Ctrl-C of this process interrupts it. */
    private static int relay(Wire wire, DaemonAddress address) {
        OutputStream out = new Forgiving(new FileOutputStream(FileDescriptor.out));
        OutputStream err = new Forgiving(new FileOutputStream(FileDescriptor.err));
        CountDownLatch ended = new CountDownLatch(1);
        Thread interrupt = new Thread(() -> {
            try {
                wire.write(Wire.INTERRUPT);
                if (!ended.await(INTERRUPT_GRACE_SECONDS, TimeUnit.SECONDS)) {
                    err.write(("cleanup did not finish within " + INTERRUPT_GRACE_SECONDS + "s; exiting anyway\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException | InterruptedException e) {
                // the command has ended, or this process is going anyway
            }
        }, "cgrender-interrupt-command");
        Runtime.getRuntime().addShutdownHook(interrupt);
        try {
            while (true) {
                Wire.Frame frame = wire.read();
                switch (frame.type()) {
                    case Wire.OUT -> out.write(frame.payload());
                    case Wire.ERR -> err.write(frame.payload());
                    case Wire.EXIT -> {
                        return ByteBuffer.wrap(frame.payload()).getInt();
                    }
                    default -> throw new IOException("an unexpected frame '" + (char) frame.type() + "'");
                }
            }
        } catch (IOException e) {
            // closed (EOF) or broken before the exit code came
            return lostDaemon(address);
        } finally {
            ended.countDown();
            wire.close();
            try {
                Runtime.getRuntime().removeShutdownHook(interrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it has seen 'ended'
            }
        }
    }

    /**
     * One of this process's standard streams, which, once closed by its reader (e.g. {@code cgrender list | head -1}),
     * takes the rest of the output without a word, as a command's own PrintWriter would: the command runs on.
     */
    private static final class Forgiving extends OutputStream {
        private final OutputStream stream;
        private boolean broken;

        Forgiving(OutputStream stream) {
            this.stream = stream;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (broken) {
                return;
            }
            try {
                stream.write(b, off, len);
                stream.flush();
            } catch (IOException closed) {
                broken = true;
            }
        }
    }

    private static int lostDaemon(DaemonAddress address) {
        System.err.println("error: the cgrender daemon ended before the command did (its log: " + address.log() + ")");
        System.err.println("fix: run the command again (CGRENDER_DAEMON=off runs it without the daemon)");
        return Main.FAILURE;
    }
}
