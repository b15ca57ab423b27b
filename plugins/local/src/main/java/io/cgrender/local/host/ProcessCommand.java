package io.cgrender.local.host;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An exec request ({@code bash -c COMMAND}) or a shell ({@code bash -l}) run as a local process in the box's home,
 * with the channel's streams piped to it. With a pty requested, the process runs under {@code script}, which
 * gives it a real terminal.
 * <p>
 * Each process leads its own process group ({@code setsid}); if the channel closes before the command finished
 * (the client gave up or disconnected) the whole group is killed: SIGTERM, then SIGKILL. Detached jobs start their
 * own sessions and so survive that, as they would with OpenSSH. Signals the client sends ({@code signal} channel
 * requests) go to the whole group too. As with OpenSSH, the exit status is sent once the command exited <em>and</em>
 * its output streams reached end of file.
 */
final class ProcessCommand implements Command {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessCommand.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final long KILL_GRACE_MILLIS = 2000;

    private final BoxDir box;
    private final Map<String, String> baseEnvironment;
    private final String command;
    private final ScheduledExecutorService scheduler;
    private final int number = COUNTER.incrementAndGet();

    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exitCallback;
    private volatile Process process;
    private volatile boolean finished;

    /**
     * @param command the exec request's command line, or {@code null} for a shell
     */
    ProcessCommand(BoxDir box, Map<String, String> baseEnvironment, String command,
                   ScheduledExecutorService scheduler) {
        this.box = box;
        this.baseEnvironment = baseEnvironment;
        this.command = command;
        this.scheduler = scheduler;
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exitCallback = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
        Map<String, String> clientEnv = env.getEnv();
        boolean pty = !env.getPtyModes().isEmpty()
                || (clientEnv.containsKey(Environment.ENV_COLUMNS) && clientEnv.containsKey(Environment.ENV_LINES));
        ProcessBuilder builder = new ProcessBuilder(argv(pty, clientEnv))
                .directory(box.home().toFile())
                .redirectErrorStream(pty);
        Map<String, String> processEnv = builder.environment();
        processEnv.clear();
        processEnv.putAll(baseEnvironment);
        clientEnv.forEach((name, value) -> {
            if (name.equals("LANG") || name.startsWith("LC_") || (pty && (name.equals(Environment.ENV_TERM)
                    || name.equals(Environment.ENV_COLUMNS) || name.equals(Environment.ENV_LINES)))) {
                processEnv.put(name, value);
            }
        });
        process = builder.start();
        // "signal" channel requests (a client ending a command that ran out of time) go to the whole group.
        env.addSignalListener((ch, signal) -> {
            if (!finished && signal != Signal.WINCH) {
                LOG.info("#{} client sent SIG{}", number, signal.name());
                long pid = process.pid();
                inBackground(() -> signalGroup(pid, signal.name()));
            }
        });
        LOG.info("#{} started pid {}{}: {}", number, process.pid(), pty ? " (pty)" : "",
                command == null ? "shell" : abbreviate(command));

        Thread stdin = pump("in", in, process.getOutputStream(), true);
        Thread stdout = pump("out", process.getInputStream(), out, false);
        Thread stderr = pty ? null : pump("err", process.getErrorStream(), err, false);
        stdin.start();
        stdout.start();
        if (stderr != null) {
            stderr.start();
        }
        Thread waiter = new Thread(() -> awaitExit(stdout, stderr), "box-cmd-" + number + "-wait");
        waiter.setDaemon(true);
        waiter.start();
    }

    private List<String> argv(boolean pty, Map<String, String> clientEnv) {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            argv.add("/usr/bin/setsid");
        }
        if (pty) {
            // script runs "$SHELL -c CMD" on a new pty and copies between it and our pipes.
            String size = clientEnv.containsKey(Environment.ENV_LINES) && clientEnv.containsKey(Environment.ENV_COLUMNS)
                    ? "stty rows " + digits(clientEnv.get(Environment.ENV_LINES)) + " cols "
                    + digits(clientEnv.get(Environment.ENV_COLUMNS)) + " 2>/dev/null; "
                    : "";
            argv.addAll(List.of("script", "-qfec", size + (command == null ? "exec bash -l" : command), "/dev/null"));
        } else if (command == null) {
            argv.addAll(List.of("bash", "-l"));
        } else {
            argv.addAll(List.of("bash", "-c", command));
        }
        return argv;
    }

    private void awaitExit(Thread stdout, Thread stderr) {
        int code;
        try {
            code = process.waitFor();
            stdout.join();
            if (stderr != null) {
                stderr.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        finished = true;
        LOG.info("#{} exited with {}", number, code);
        try {
            out.flush();
            if (err != null) {
                err.flush();
            }
        } catch (IOException e) {
            // the channel is gone; the exit status cannot reach anyone either
        }
        exitCallback.onExit(code);
    }

    /** The channel closed: if the command still runs, the client gave up on it. */
    @Override
    public void destroy(ChannelSession channel) {
        Process p = process;
        if (p == null || finished) {
            return;
        }
        LOG.info("#{} channel closed while running: killing process group {}", number, p.pid());
        inBackground(() -> signalGroup(p.pid(), "TERM"));
        try {
            scheduler.schedule(() -> {
                if (!finished) {
                    signalGroup(p.pid(), "KILL");
                }
            }, KILL_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the host is shutting down and kills every process of the box anyway
        }
    }

    /** Off the SSH I/O threads; inline when the host is shutting down. */
    private void inBackground(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** Signals the process group led by {@code pid}; {@code kill(1)} because Java cannot address groups. */
    private static void signalGroup(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-s", signal, "--", "-" + pid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            ProcessHandle.of(pid).ifPresent(signal.equals("KILL") ? ProcessHandle::destroyForcibly
                    : ProcessHandle::destroy);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Thread pump(String name, InputStream from, OutputStream to, boolean closeTarget) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[32 * 1024];
            try {
                for (int n; (n = from.read(buffer)) >= 0; ) {
                    to.write(buffer, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // the other side closed: stop copying
            } finally {
                if (closeTarget) {
                    closeQuietly(to);
                }
            }
        }, "box-cmd-" + number + "-" + name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    private static String digits(String value) {
        return value.matches("\\d{1,5}") ? value : "24";
    }

    private static String abbreviate(String s) {
        String oneLine = s.replace('\n', ' ');
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 197) + "...";
    }
}
