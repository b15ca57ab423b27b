package io.cgrender.local.host;

import io.cgrender.core.agent.BoxCommandScript;
import io.cgrender.core.claim.BoxClaim;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.job.JobProcess;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.os.MachineId;
import io.cgrender.core.os.ProcessIdentity;
import io.cgrender.core.ssh.KeyFiles;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.file.nativefs.NativeFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The process that <em>is</em> a local box: an SSH server on 127.0.0.1 (MINA SSHD) serving exec, shell and SFTP in
 * the box's home, started detached by the local cloud with the box directory as its only argument.
 * <p>
 * It watches itself, with no client needed: it ends the box (marks it terminated, kills its processes, deletes its
 * directory) when it has been idle for the box's idle timeout — no authenticated SSH session and no running job of
 * its own — or when the box's max lifetime has passed, whatever it is doing, or when it has been an orphan for its
 * orphan timeout (left launching, setting up or imaging by a creator that is gone). While the box is kept (its agent's
 * {@code keep}, {@link BoxState#keptSince()}) neither the idle timeout nor the max lifetime ends it; a box with no
 * expiry has no max lifetime. It exits at once if its directory disappears or the
 * state file hands the box to someone else. On SIGTERM (how the cloud stops a box) it closes the server, kills the box's
 * processes and exits, leaving the directory.
 * <p>
 * It runs the box's {@link BoxAgent} under a {@link BoxAgent.Supervisor} (started again if it ends), and reads
 * {@code authorized_keys} afresh for every login, so a key the agent adds or removes counts at once. At every start it
 * writes the box's own commands into {@code bin/} ({@code cgrender-box}), first on the PATH of every process of the
 * box, which also carries the box's directory in {@value BoxDir#BOX_DIR_ENV}.
 */
public final class BoxHost {

    private static final Logger LOG = LoggerFactory.getLogger(BoxHost.class);
    private static final Duration TICK = Duration.ofMillis(500);
    /**
     * How long the box's processes get between SIGTERM and SIGKILL when the box stops: time for a job's wrapper to
     * cancel its command and record its end, also on a busy machine (3 s was too short there); within the cloud's
     * own grace for the whole host ({@code LocalCloud.STOP_GRACE}).
     */
    private static final Duration KILL_GRACE = Duration.ofSeconds(8);
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** The local cloud's part of {@code cgrender-box} ({@link BoxCommandScript}). */
    private static final String BACKEND = resource("cgrender-box-backend.sh");

    private final BoxDir box;
    private final ProcessIdentity self = ProcessIdentity.current();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "box-watchdog");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch exited = new CountDownLatch(1);
    private SshServer server;
    /** The box's agent, started once the box runs. */
    private final BoxAgent.Supervisor agent;
    private volatile Instant lastBusy = Instant.now();
    /** The value of the box's idle-since tag as this host last wrote it. */
    private String publishedIdleTimer;
    /** When the watchdog first saw the box as an orphan; null while it is not one. */
    private Instant orphanSince;
    /** Why the host is going away: decides what the shutdown hook does to the state file and the directory. */
    private volatile Ending ending = Ending.SIGNALLED;

    private enum Ending {
        /** SIGTERM or SIGINT from outside: the box is stopped, its directory kept. */
        SIGNALLED,
        /** A job ended asking for the box to stop ({@code --after stop}): stopped, directory kept. */
        STOPPED,
        /** The watchdog ended the box: it is terminated and its directory deleted. */
        TERMINATED,
        /** The directory vanished or the box belongs to another host: touch nothing. */
        ABANDONED
    }

    private BoxHost(BoxDir box) {
        this.box = box;
        this.agent = new BoxAgent.Supervisor("box-agent", new BoxAgent(box, new BoxAgent.Host() {
            @Override
            public void stop() {
                exit(Ending.STOPPED);
            }

            @Override
            public void terminate() {
                exit(Ending.TERMINATED);
            }

            @Override
            public void restartIdleTimer() {
                lastBusy = Instant.now();
            }
        }));
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: BoxHost BOX_DIR");
            System.exit(2);
        }
        BoxHost host = new BoxHost(new BoxDir(Path.of(args[0]).toAbsolutePath()));
        try {
            host.run();
        } catch (Exception e) {
            LOG.error("box host failed: {}", e.toString(), e);
            // Leave the state as it is: a pending box whose host died shows as dead, with this log to explain.
            host.ending = Ending.ABANDONED;
            System.exit(1);
        }
    }

    private void run() throws Exception {
        BoxState state = StateFile.update(box, s -> s.state() == MachineState.PENDING ? s.pending(self) : s)
                .orElseThrow(() -> new IllegalStateException("no state file in " + box.root()));
        if (state.state() != MachineState.PENDING || !state.isServedBy(self)) {
            LOG.info("box {} is {}, not pending: not starting", box.id(), state.state().label());
            return;
        }
        LOG.info("box {} starting (pid {}, idle timeout {}, {}{})", box.id(), self.pid(), state.idleTimeout(),
                state.expiresAt().map(at -> "expires at " + at).orElse("no expiry"),
                state.keptSince().map(since -> ", kept since " + since).orElse(""));
        dropAfterJobRequest();
        installCommands();
        dropOldMessages();
        // Keys may have changed while the box was stopped: it starts with the namespace's keys as they are now.
        BoxAgent.syncKeys(box);
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "box-shutdown"));

        server = createServer(state);
        server.start();
        int port = server.getPort();
        BoxState running = StateFile.update(box, s -> s.state() == MachineState.PENDING && s.isServedBy(self)
                ? s.running(self, port) : s).orElse(null);
        if (running == null || running.state() != MachineState.RUNNING || !running.isServedBy(self)) {
            LOG.info("box {} was stopped or removed while starting", box.id());
            ending = Ending.ABANDONED;
            System.exit(0);
        }
        LOG.info("box {} listening on 127.0.0.1:{}", box.id(), port);

        lastBusy = Instant.now();
        agent.start();
        scheduler.scheduleWithFixedDelay(() -> watch(running), TICK.toMillis(), TICK.toMillis(),
                TimeUnit.MILLISECONDS);
        exited.await();
    }

    private SshServer createServer(BoxState state) throws IOException {
        if (readAuthorizedKeys().isEmpty()) {
            throw new IOException("no key in " + box.authorizedKeys() + ": nobody could log in");
        }
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(0);
        sshd.setKeyPairProvider(KeyPairProvider.wrap(KeyFiles.read(box.hostKey())));
        sshd.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        // Any user name: the login user in the tags (e.g. ubuntu) means nothing on this machine.
        // Read for every attempt: the agent's sync-keys counts at once, with no restart.
        sshd.setPublickeyAuthenticator((user, key, session) ->
                readAuthorizedKeys().stream().anyMatch(k -> KeyUtils.compareKeys(k, key)));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setGSSAuthenticator(null);
        sshd.setHostBasedAuthenticator(null);
        // Like OpenSSH: a quiet session stays open. The watchdog and max lifetime bound the box instead.
        CoreModuleProperties.IDLE_TIMEOUT.set(sshd, Duration.ZERO);
        // Small request/answer packets (exit status, channel close, SFTP) must not wait for delayed ACKs.
        CoreModuleProperties.TCP_NODELAY.set(sshd, true);

        Map<String, String> environment = commandEnvironment(state);
        sshd.setCommandFactory((channel, command) -> new ProcessCommand(box, environment, command, scheduler));
        sshd.setShellFactory(channel -> new ProcessCommand(box, environment, null, scheduler));
        sshd.setFileSystemFactory(NativeFileSystemFactory.INSTANCE);
        sshd.setSubsystemFactories(List.of(new HomeSftpSubsystemFactory(box.home())));
        sshd.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.Authenticated) {
                    LOG.info("session from {} authenticated as '{}'", session.getRemoteAddress(),
                            session.getUsername());
                }
            }

            @Override
            public void sessionClosed(Session session) {
                LOG.info("session from {} closed", session.getRemoteAddress());
            }
        });
        return sshd;
    }

    /** The keys {@code authorized_keys} holds now; a line that is no key is skipped (and logged). */
    private List<PublicKey> readAuthorizedKeys() {
        List<PublicKey> keys = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(box.authorizedKeys());
        } catch (IOException e) {
            LOG.warn("cannot read {}: {}; nobody can log in", box.authorizedKeys(), e.toString());
            return keys;
        }
        for (String line : lines) {
            if (!line.isBlank() && !line.strip().startsWith("#")) {
                try {
                    keys.add(KeyFiles.parsePublicKeyLine(line));
                } catch (RuntimeException e) {
                    LOG.warn("skipping a line of {}: {}", box.authorizedKeys(), e.getMessage());
                }
            }
        }
        return keys;
    }

    /** What every process on the box starts with: a clean login-like environment, HOME being the box's home. */
    private Map<String, String> commandEnvironment(BoxState state) {
        Map<String, String> env = new LinkedHashMap<>();
        String user = System.getProperty("user.name");
        env.put("HOME", box.home().toString());
        env.put("USER", user);
        env.put("LOGNAME", user);
        env.put("SHELL", "/bin/bash");
        env.put("PATH", box.bin() + ":" + Optional.ofNullable(System.getenv("PATH")).orElse(DEFAULT_PATH));
        env.put("LANG", Optional.ofNullable(System.getenv("LANG")).orElse("C.UTF-8"));
        Optional.ofNullable(System.getenv("TZ")).ifPresent(tz -> env.put("TZ", tz));
        env.put(BoxDir.BOX_ENV, state.id());
        env.put(BoxDir.BOX_DIR_ENV, box.root().toString());
        return env;
    }

    /** Writes the box's own commands ({@code cgrender-box}) into its {@code bin/}, as this host's version has them. */
    private void installCommands() throws IOException {
        Files.createDirectories(box.bin());
        Path command = box.bin().resolve(BoxCommandScript.NAME);
        Path tmp = Files.createTempFile(box.bin(), "." + BoxCommandScript.NAME + ".", ".tmp");
        try {
            Files.writeString(tmp, BoxCommandScript.with(BACKEND.replace("@JOBS_DIR@", RemoteJobs.JOBS_DIR)));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, command, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String resource(String name) {
        try (InputStream in = BoxHost.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- watchdog

    private void watch(BoxState started) {
        try {
            Optional<BoxState> current = Files.isDirectory(box.root()) ? StateFile.read(box) : Optional.empty();
            if (current.isEmpty()) {
                LOG.info("box directory {} is gone: exiting", box.root());
                exit(Ending.ABANDONED);
                return;
            }
            BoxState state = current.get();
            if (state.state() != MachineState.RUNNING || !state.isServedBy(self)) {
                LOG.info("box {} is now {} (pid {}): exiting", box.id(), state.state().label(),
                        state.host().map(h -> Long.toString(h.pid())).orElse("none"));
                exit(Ending.ABANDONED);
                return;
            }
            agent.check();
            Instant now = Instant.now();
            // The state's expiry, not the one at start: the agent's extend moves it, and keep suspends it.
            boolean kept = state.keptSince().isPresent();
            if (!kept && state.expiresAt().filter(at -> !now.isBefore(at)).isPresent()) {
                LOG.info("box {} reached its max lifetime (expired at {}): terminating", box.id(),
                        state.expiresAt().orElseThrow());
                exit(Ending.TERMINATED);
                return;
            }
            if (orphanedTooLong(state, now)) {
                exit(Ending.TERMINATED);
                return;
            }
            long sessions = authenticatedSessions();
            List<Path> jobs = runningJobs();
            if (sessions == 0 && jobs.isEmpty() && Files.exists(box.afterJobFile())) {
                afterJob();
                return;
            }
            boolean busy = sessions > 0 || !jobs.isEmpty();
            if (busy) {
                lastBusy = now;
            }
            publishIdleTimer(busy ? Tags.BUSY : lastBusy.toString());
            if (!busy && !kept && !now.isBefore(lastBusy.plus(started.idleTimeout()))) {
                LOG.info("box {} idle since {} (no session, no job for {}): terminating", box.id(), lastBusy,
                        started.idleTimeout());
                exit(Ending.TERMINATED);
            }
        } catch (RuntimeException e) {
            LOG.warn("watchdog check failed: {}", e.toString());
        }
    }

    /**
     * Tells clients (through the box's {@link Tags#IDLE_SINCE} tag) since when the box has been idle, or that it is
     * busy; written only when that changes.
     */
    private void publishIdleTimer(String value) {
        if (!value.equals(publishedIdleTimer)) {
            StateFile.update(box, s -> s.state() == MachineState.TERMINATED ? s
                    : s.withTags(Map.of(Tags.IDLE_SINCE, value)));
            publishedIdleTimer = value;
        }
    }

    /**
     * Whether the box has been an orphan — launching, setting up or imaging, with its creator gone — for longer than
     * its orphan timeout, counted from when this host first saw it so.
     */
    private boolean orphanedTooLong(BoxState state, Instant now) {
        Machine asSeen = new Machine(state.id(), MachineState.RUNNING, state.tags(), state.launchedAt(),
                Optional.empty());
        BoxClaim claim = BoxClaim.of(asSeen, now, MachineId.current(), state.orphanTimeout());
        if (claim.status() != BoxClaim.Status.ORPHAN) {
            orphanSince = null;
            return false;
        }
        if (orphanSince == null) {
            orphanSince = now;
            LOG.info("box {} is an orphan ({}): it ends itself in {} unless a cgrender takes it over", box.id(),
                    claim.orphanReason().orElse(""), state.orphanTimeout());
        }
        if (now.isBefore(orphanSince.plus(state.orphanTimeout()))) {
            return false;
        }
        LOG.info("box {} has been an orphan since {} ({}): terminating", box.id(), orphanSince,
                claim.orphanReason().orElse(""));
        return true;
    }

    /** Carries out what the last job asked for ({@code --after stop|terminate}), once nobody is attached. */
    private void afterJob() {
        String request;
        try {
            request = Files.readString(box.afterJobFile()).strip();
            Files.deleteIfExists(box.afterJobFile());
        } catch (IOException e) {
            LOG.warn("cannot read {}: {}", box.afterJobFile(), e.toString());
            return;
        }
        switch (request) {
            case "stop" -> {
                LOG.info("box {}: the last job asked to stop the box", box.id());
                exit(Ending.STOPPED);
            }
            case "terminate" -> {
                LOG.info("box {}: the last job asked to terminate the box", box.id());
                exit(Ending.TERMINATED);
            }
            default -> LOG.warn("ignoring unknown after-job request '{}'", request);
        }
    }

    /** Messages to the agent found at start were sent before the box last went down: they no longer apply. */
    private void dropOldMessages() {
        try {
            List<Inbox.Message> old = new Inbox(box.inbox()).take();
            if (!old.isEmpty()) {
                LOG.info("box {}: dropping {} message(s) to its agent sent before this start", box.id(), old.size());
            }
        } catch (IOException e) {
            LOG.warn("cannot empty {}: {}", box.inbox(), e.toString());
        }
    }

    /**
     * A request found at start was made before the box last went down (a job the stop cancelled asks as it ends) or
     * by the box an image was taken of: the box has stopped since, or is another box, so it no longer applies.
     */
    private void dropAfterJobRequest() throws IOException {
        Path request = box.afterJobFile();
        if (Files.exists(request)) {
            LOG.info("box {}: dropping the after-job request '{}' made before this start", box.id(),
                    Files.readString(request).strip());
            Files.deleteIfExists(request);
        }
    }

    /**
     * The SSH sessions that count as use of the box: authenticated ones. A connection that never logs in (anybody on
     * this machine can open one to the port) does not hold the box.
     */
    private long authenticatedSessions() {
        return server.getActiveSessions().stream().filter(Session::isAuthenticated).count();
    }

    /**
     * The running jobs: directories in {@code home/.cgrender/jobs/} whose pid file names, by pid and start time, a
     * live process of this box (one its host started, or a descendant). A pid file naming any other process — or
     * nothing, {@code -1}, garbage — is no job, so writing one does not hold the box.
     */
    private List<Path> runningJobs() {
        List<Path> live = new ArrayList<>();
        if (!Files.isDirectory(box.jobsDir())) {
            return live;
        }
        try (DirectoryStream<Path> jobs = Files.newDirectoryStream(box.jobsDir())) {
            for (Path job : jobs) {
                if (JobProcess.liveProcess(job.resolve(JobProcess.PID_FILE))
                        .stream().anyMatch(pid -> BoxProcesses.isOf(pid, box.id()))) {
                    live.add(job);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", box.jobsDir(), e.toString());
        }
        return live;
    }

    private void exit(Ending why) {
        ending = why;
        if (why == Ending.TERMINATED) {
            // Mark it first, so that nobody hands out the box while it goes.
            StateFile.update(box, s -> s.withoutHost(MachineState.TERMINATED));
        }
        System.exit(0);
    }

    // ---------------------------------------------------------------- shutdown

    /** The shutdown hook: runs on System.exit and on SIGTERM/SIGINT. */
    private void shutdown() {
        Ending why = ending;
        LOG.info("box {} shutting down ({})", box.id(), why.name().toLowerCase());
        scheduler.shutdownNow();
        agent.stop();
        if (server != null) {
            try {
                server.stop(true);
            } catch (IOException | RuntimeException e) {
                LOG.warn("closing the SSH server: {}", e.toString());
            }
        }
        int killed = BoxProcesses.killAll(box.id(), KILL_GRACE);
        if (killed > 0) {
            LOG.info("ended {} process(es) of box {}", killed, box.id());
        }
        try {
            switch (why) {
                case SIGNALLED, STOPPED -> StateFile.update(box, s -> s.state().isLive() && s.isServedBy(self)
                        ? s.withoutHost(MachineState.STOPPED) : s);
                case TERMINATED -> FileTrees.delete(box.root());
                case ABANDONED -> {
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cleaning up box {}: {}", box.id(), e.toString());
        }
        exited.countDown();
    }
}
