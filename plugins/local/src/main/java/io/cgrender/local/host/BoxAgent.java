package io.cgrender.local.host;

import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The agent of a local box, part of its box host: it takes commands from the box's {@link Inbox} (within
 * {@link #POLL}) and carries them out. A message is only a trigger: {@code sync-keys} re-reads the namespace's key
 * store named in {@code keys.properties} and rewrites {@code authorized_keys}; no key, path or command is ever taken
 * from a message, and a line that is not exactly one {@link AgentCommand} is ignored and logged. {@code ping} is
 * answered with the tag {@link Tags#AGENT_PONG} on the box's state, {@code extend} moves the box's expiry (which the
 * host's watchdog obeys) to at most its max lifetime from now, {@code keep} and {@code release} start and end a keep
 * ({@link Tags#KEPT}: the watchdog ends the box neither at its expiry nor when idle), {@code stop} and
 * {@code terminate} end the box as its watchdog would. Commands come from clients and from inside the box
 * ({@code cgrender-box}), through the same inbox.
 * <p>
 * {@link #run()} returns only when interrupted; a failure of one message is logged and the next one is taken. The
 * host runs it under a {@link Supervisor}, which restarts it should it end any other way.
 */
public final class BoxAgent implements Runnable {

    /** How often the inbox is looked at. */
    public static final Duration POLL = Duration.ofMillis(250);
    private static final Logger LOG = LoggerFactory.getLogger(BoxAgent.class);

    /** How the agent ends its box: the host's own ways. */
    public interface Host {
        void stop();

        void terminate();

        /** The idle timer counts from now (a {@code release}). */
        void restartIdleTimer();
    }

    private final BoxDir box;
    private final Host host;
    private final Inbox inbox;
    private String lastFailure;

    public BoxAgent(BoxDir box, Host host) {
        this.box = box;
        this.host = host;
        this.inbox = new Inbox(box.inbox());
    }

    @Override
    public void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                for (Inbox.Message message : inbox.take()) {
                    handle(message);
                }
                lastFailure = null;
            } catch (IOException | RuntimeException e) {
                // the inbox itself cannot be read: said once, tried again at the next poll
                if (!Objects.equals(lastFailure, e.toString())) {
                    LOG.warn("agent: cannot take messages from {}: {}", box.inbox(), e.toString());
                    lastFailure = e.toString();
                }
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void handle(Inbox.Message message) {
        if (message.unreadable().isPresent()) {
            LOG.warn("agent: ignoring message {}, which cannot be read ({})", message.name(),
                    message.unreadable().get());
            return;
        }
        String text = message.text().orElse("").strip();
        Optional<AgentCommand> command = text.contains("\n") ? Optional.empty() : AgentCommand.parse(text);
        if (command.isEmpty()) {
            LOG.warn("agent: ignoring malformed message {} ('{}'): a message is exactly one of sync-keys, ping NONCE,"
                    + " extend DURATION, keep, release, stop, terminate", message.name(), printable(text));
            return;
        }
        LOG.info("agent: {}", command.get().line());
        try {
            carryOut(command.get());
        } catch (IOException | RuntimeException e) {
            LOG.warn("agent: {} failed: {}", command.get().line(), e.toString());
        }
    }

    private void carryOut(AgentCommand command) throws IOException {
        switch (command.name()) {
            case SYNC_KEYS -> syncKeys(box);
            case PING -> StateFile.update(box, s -> s.state() == MachineState.TERMINATED ? s
                    : s.withTags(Map.of(Tags.AGENT_PONG, command.argument().orElseThrow() + " " + Instant.now())));
            case EXTEND -> extend(Duration.parse(command.argument().orElseThrow()));
            case KEEP -> StateFile.update(box, s -> s.state() == MachineState.TERMINATED ? s : s.kept(Instant.now()))
                    .ifPresent(s -> LOG.info("agent: box {} is kept since {}: it ends itself neither at its expiry"
                            + " nor when idle until released", box.id(), s.keptSince().orElseThrow()));
            case RELEASE -> {
                Optional<BoxState> released = StateFile.update(box, s -> s.state() == MachineState.TERMINATED ? s
                        : s.released(Instant.now()));
                host.restartIdleTimer();
                released.ifPresent(s -> LOG.info("agent: box {} released: it ends itself {}, or when idle for {}",
                        box.id(), s.expiresAt().map(at -> "at " + at + " at the latest").orElse("with no expiry"),
                        s.idleTimeout()));
            }
            case STOP -> host.stop();
            case TERMINATE -> host.terminate();
        }
    }

    /** Moves the expiry {@code by} later, to at most the max lifetime from now; nothing for a kept box or one without. */
    private void extend(Duration by) {
        Optional<BoxState> before = StateFile.read(box);
        if (before.isPresent() && before.get().keptSince().isPresent()) {
            LOG.info("agent: box {} is kept: extend changes nothing (release it first)", box.id());
            return;
        }
        if (before.isPresent() && before.get().expiresAt().isEmpty()) {
            LOG.info("agent: box {} has no expiry: extend changes nothing", box.id());
            return;
        }
        StateFile.update(box, s -> s.state() == MachineState.TERMINATED || s.keptSince().isPresent() ? s
                : s.extendedBy(by, Instant.now())).ifPresent(s -> LOG.info("agent: box {} now ends itself at {} at the"
                + " latest (at most its max lifetime, {}, from now)", box.id(), s.expiresAt().map(Object::toString)
                .orElse("-"), s.maxLifetime().map(Object::toString).orElse("-")));
    }

    /**
     * Rewrites the box's {@code authorized_keys} from the namespace's key store: its own key plus the registered keys
     * the box's selection names. Nothing happens for a box without {@code keys.properties}.
     */
    public static void syncKeys(BoxDir box) throws IOException {
        Optional<KeysConfig> config = KeysConfig.read(box.keysConfig());
        if (config.isEmpty()) {
            LOG.info("agent: box {} has no {}: its keys stay as they are", box.id(), box.keysConfig().getFileName());
            return;
        }
        List<String> lines = config.get().writeAuthorizedKeys(box.authorizedKeys());
        LOG.info("agent: box {} authorizes {} key(s): the namespace's own and {} registered", box.id(),
                lines.size(), lines.size() - 1);
    }

    private static String printable(String text) {
        String shown = text.replaceAll("[^\\x20-\\x7e]", "?");
        return shown.length() <= 80 ? shown : shown.substring(0, 77) + "...";
    }

    /**
     * Runs a task on a thread of its own and starts it again whenever it ends, logging why — the way an init system
     * keeps a service up. {@link #check()} is called by the host's watchdog tick.
     */
    public static final class Supervisor {

        private final String name;
        private final Runnable task;
        private volatile Thread thread;
        private volatile Throwable failure;
        private int restarts;

        public Supervisor(String name, Runnable task) {
            this.name = name;
            this.task = task;
        }

        public synchronized void start() {
            failure = null;
            Thread t = new Thread(() -> {
                try {
                    task.run();
                } catch (Throwable e) { // anything at all: the supervisor reports it and starts the task again
                    failure = e;
                }
            }, name);
            t.setDaemon(true);
            thread = t;
            t.start();
        }

        /** Starts the task again if it ended; true if it had to. */
        public synchronized boolean check() {
            Thread t = thread;
            if (t == null || t.isAlive()) {
                return false;
            }
            restarts++;
            LOG.warn("{} ended ({}): starting it again (restart {})", name,
                    failure == null ? "returned" : failure.toString(), restarts);
            start();
            return true;
        }

        public synchronized int restarts() {
            return restarts;
        }

        public synchronized void stop() {
            Thread t = thread;
            thread = null;
            if (t != null) {
                t.interrupt();
            }
        }
    }
}
