package io.cgrender.core.sync;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Heartbeat;
import io.cgrender.core.ui.Progress;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A directory on a box, held under an exclusive lock ({@code flock} on the directory) for one conversation: a single
 * command whose shell takes the lock, runs an opening script, then runs each further script the client sends, one
 * at a time, until the client ends its input. The lock lives and dies with that command, so a client that is killed
 * or loses its connection releases it; another client waits for it, with a progress line, at most the timeout.
 * Scripts run in the directory, in one shell (variables and traps carry over); what they print comes back as their
 * result. The shell exits on SIGTERM or SIGHUP (as when the box closes a dead client's session) through its EXIT trap.
 */
final class LockedDirectory implements AutoCloseable {

    private static final String READY = "::ready ";
    private static final String DONE = "::done ";
    private static final String ENDED = "::ended";

    private final RemoteHost host;
    private final String dir;
    private final Scripts input = new Scripts();
    private final Marked output = new Marked();
    private final ByteArrayOutputStream errors = new ByteArrayOutputStream();
    private final long deadline;
    private final String opening;
    private final CompletableFuture<ExecResult> command = new CompletableFuture<>();

    private LockedDirectory(RemoteHost host, String dir, Duration timeout, String openingScript, Progress progress) {
        this.host = host;
        this.dir = dir;
        this.deadline = System.nanoTime() + timeout.toNanos();
        String script = "d=" + Shell.quote(dir) + "; { [ -d \"$d\" ] || mkdir -p -- \"$d\"; } && cd -- \"$d\" && exec 9<. || exit 70\n"
                + "flock -w " + Math.max(1, timeout.toSeconds()) + " 9 || { echo \"another upload into $d did not"
                + " end within " + timeout.toSeconds() + "s\" >&2; exit 75; }\n"
                + "trap 'exit 143' TERM HUP INT\n"
                + "{\n" + openingScript + "\n}; echo \"" + READY + "$?\"\n"
                + "while IFS= read -r n; do eval \"$(head -c \"$n\")\"; echo \"" + DONE + "$?\"; done\n";
        Thread runner = new Thread(() -> {
            try {
                command.complete(host.exec(script, timeout, input, output, errors));
            } catch (RuntimeException e) {
                command.completeExceptionally(e);
            } finally {
                input.end();
                output.ended();
            }
        }, "cgrender-sync-" + host.id());
        runner.setDaemon(true);
        runner.start();
        this.opening = awaitOpening(progress, timeout);
    }

    /**
     * Takes the lock on {@code dir} (relative to the box's home, or absolute; created if missing) and runs
     * {@code openingScript} there.
     */
    static LockedDirectory open(RemoteHost host, String dir, String openingScript, Duration timeout,
                                Progress progress) {
        return new LockedDirectory(host, dir, timeout, openingScript, progress);
    }

    /** What the opening script printed. */
    String opening() {
        return opening;
    }

    /** Runs {@code script} under the lock and returns what it printed; a failing script is an error. */
    String run(String script) {
        Ran ran = attempt(script);
        if (ran.exitCode() != 0) {
            throw new CgrenderException("file sync in " + dir + " on " + host.id() + " failed (exit "
                    + ran.exitCode() + ")" + lastError().map(e -> ": " + e).orElse(""));
        }
        return ran.printed();
    }

    /** Runs {@code script} under the lock and returns its exit code and what it printed. */
    Ran attempt(String script) {
        input.send(script);
        Section s = next();
        if (!s.marker().startsWith(DONE)) {
            throw failure(s);
        }
        return new Ran(Integer.parseInt(s.marker().substring(DONE.length()).strip()), s.text());
    }

    /** A script's exit code and what it printed. */
    record Ran(int exitCode, String printed) {
    }

    /**
     * Sends {@code script} as the last one and releases the lock, without waiting: the box's shell runs it, reads the
     * end of its input and exits. For what must happen only if this client got this far (it is never run if the
     * client dies before), and costs no round trip.
     */
    void end(String script) {
        input.send(script);
        close();
    }

    /** Ends the conversation: the box's shell reads the end of its input and exits, releasing the lock. */
    @Override
    public void close() {
        input.end();
    }

    private String awaitOpening(Progress progress, Duration timeout) {
        Section s;
        try (Heartbeat ignored = Heartbeat.start(progress, "reading " + dir + " on " + host.id() + " (another upload"
                + " into it, if one runs, ends first)", timeout, () -> "")) {
            s = next();
        }
        if (!s.marker().startsWith(READY)) {
            throw failure(s);
        }
        if (!s.marker().equals(READY + "0")) {
            close();
            throw new CgrenderException("cannot read the sync directory " + dir + " on " + host.id() + " (exit "
                    + s.marker().substring(READY.length()) + ")" + lastError().map(e -> ": " + e).orElse(""));
        }
        return s.text();
    }

    /** The next section of output, ended by a marker; the command's end if it ended first. */
    private Section next() {
        long left = deadline - System.nanoTime();
        Section s = null;
        try {
            s = left > 0 ? output.sections.poll(left, TimeUnit.NANOSECONDS) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new CgrenderException("interrupted during the file sync to " + host.id(), e);
        }
        if (s == null) {
            close();
            throw new CgrenderException("the file sync in " + dir + " on " + host.id() + " timed out");
        }
        return s;
    }

    /** The command ended when more was expected: why. */
    private CgrenderException failure(Section s) {
        close();
        try {
            ExecResult r = command.join();
            return new CgrenderException("file sync in " + dir + " on " + host.id() + " failed (exit "
                    + r.exitCode() + ")" + lastError().map(e -> ": " + e).orElse(""));
        } catch (CompletionException e) {
            return e.getCause() instanceof CgrenderException c ? c
                    : new CgrenderException("file sync on " + host.id() + " failed: " + e.getCause(), e.getCause());
        }
    }

    private Optional<String> lastError() {
        return errors.toString(StandardCharsets.UTF_8).lines().map(String::strip).filter(l -> !l.isEmpty())
                .reduce((a, b) -> b);
    }

    /** Text followed by the marker line that ended it. */
    private record Section(String text, String marker) {
    }

    /** The command's output, cut into sections at marker lines. */
    private static final class Marked extends OutputStream {
        final BlockingQueue<Section> sections = new LinkedBlockingQueue<>();
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final StringBuilder text = new StringBuilder();

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            int start = off;
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    line.write(b, start, i - start);
                    endOfLine();
                    start = i + 1;
                }
            }
            line.write(b, start, off + len - start);
        }

        private void endOfLine() {
            String l = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (l.startsWith(READY) || l.startsWith(DONE)) {
                sections.add(new Section(text.toString(), l));
                text.setLength(0);
            } else {
                text.append(l).append('\n');
            }
        }

        synchronized void ended() {
            sections.add(new Section(text.toString(), ENDED));
        }
    }

    /** The command's input: each script as a length line and its bytes, sent when the client has it. */
    private static final class Scripts extends InputStream {
        private static final byte[] END = new byte[0];
        private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int position;
        private boolean ended;

        void send(String script) {
            byte[] body = script.getBytes(StandardCharsets.UTF_8);
            byte[] head = (body.length + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            queue.add(all);
        }

        void end() {
            queue.add(END);
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            while (!ended && position == current.length) {
                try {
                    current = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    ended = true;
                    break;
                }
                position = 0;
                ended = current == END;
            }
            if (ended) {
                return -1;
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public synchronized int available() {
            return ended ? 0 : current.length - position;
        }
    }
}
