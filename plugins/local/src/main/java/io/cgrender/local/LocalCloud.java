package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.HostKeySource;
import io.cgrender.core.cloud.GarbageCollection;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAccess;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.os.ProcessIdentity;
import io.cgrender.core.price.Pricing;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;
import io.cgrender.local.host.BoxDir;
import io.cgrender.local.host.BoxProcesses;
import io.cgrender.local.host.BoxState;
import io.cgrender.local.host.FileTrees;
import io.cgrender.local.host.KeysConfig;
import io.cgrender.local.host.LocalKeyStore;
import io.cgrender.local.host.StateFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The local cloud: a box is a detached box-host process ({@link io.cgrender.local.host.BoxHost}) serving SSH on
 * 127.0.0.1, plus a directory under {@code $XDG_STATE_HOME/cgrender/local/boxes/} (see {@link BoxDir}). Nothing
 * is kept in memory between calls: every call reads the box's state file, so any number of cgrender processes
 * can share the boxes.
 * <p>
 * A box whose state says it runs but whose host process is gone (or whose pid now belongs to another process) is
 * {@link MachineState#DEAD}, and whatever processes its host left behind are ended as soon as it is seen so: a dead
 * box runs nothing. {@link #start} revives it, {@link #terminate} removes it.
 */
public final class LocalCloud implements Cloud {

    static final String NAME = "local";
    private static final String LOOPBACK = "127.0.0.1";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A new box whose launcher died before it spawned the host is dead after this long. */
    private static final Duration SPAWN_GRACE = Duration.ofMinutes(1);
    /** How long a host gets to exit after SIGTERM before SIGKILL. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    /** How long the processes of a box get to exit after SIGTERM before SIGKILL. */
    private static final Duration PROCESS_GRACE = Duration.ofSeconds(3);
    private static final Duration POLL = Duration.ofMillis(100);

    private final Path boxesDir;
    private final HostLauncher launcher;
    private final LocalImages images;
    private final LocalGarbage garbage;
    private final Path configDir;
    private final Namespace namespace;
    private final AuthorizedKeys selection;
    private final HostOs hostOs;

    LocalCloud(CloudContext context) {
        this(context, HostOs.current());
    }

    LocalCloud(CloudContext context, HostOs hostOs) {
        this.hostOs = hostOs;
        this.configDir = context.dirs().config();
        this.namespace = context.namespace();
        this.selection = AuthorizedKeys.from(context.settings());
        this.boxesDir = context.dirs().state().resolve("local").resolve("boxes");
        this.launcher = new HostLauncher(context.settings());
        this.images = new LocalImages(this, context.dirs().data().resolve("local").resolve("images"));
        this.garbage = new LocalGarbage(this, images, context.settings(), boxesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    // ---------------------------------------------------------------- launch and wait

    @Override
    public Machine launch(LaunchSpec spec) {
        hostOs.requireRunnable(spec.role(), spec.machine());
        KeyFiles.parsePublicKeyLine(spec.authorizedKey());
        requirePositive(spec.idleTimeout(), "idle timeout");
        requirePositive(spec.maxLifetime(), "max lifetime");
        requirePositive(spec.orphanTimeout(), "orphan timeout");
        Optional<LocalImages.Stored> image = spec.image().map(id -> images.require(id, spec.namespace()));

        Instant now = Instant.now();
        Optional<Instant> expiresAt = spec.expires() ? Optional.of(now.plus(spec.maxLifetime())) : Optional.empty();
        Optional<Duration> maxLifetime = spec.expires() ? Optional.of(spec.maxLifetime()) : Optional.empty();
        Map<String, String> tags = new LinkedHashMap<>(spec.tags());
        tags.remove(Tags.EXPIRES_AT);
        expiresAt.ifPresent(at -> tags.put(Tags.EXPIRES_AT, at.toString()));
        maxLifetime.ifPresent(d -> tags.put(Tags.MAX_LIFETIME, d.toString()));
        // A local box's commands run as the user running cgrender, whatever login user the role names.
        tags.put(Tags.LOGIN_USER, System.getProperty("user.name"));
        BoxDir box = createBoxDir(id -> new BoxState(id, spec.namespace().toString(), spec.role(),
                MachineState.PENDING, now, Optional.empty(), 0, spec.idleTimeout(), expiresAt, maxLifetime,
                spec.orphanTimeout(), spec.image(), tags));
        try {
            Files.createDirectory(box.home());
            KeyFiles.write(KeyFiles.generateEd25519(), box.hostKey(), "cgrender local box " + box.id());
            // From launch: the namespace's key plus the registered keys cgrender.keys selects; the agent keeps them
            // in step with the key store afterwards.
            KeysConfig keys = new KeysConfig(LocalKeyStore.of(configDir, spec.namespace()).dir(), selection,
                    spec.authorizedKey());
            keys.write(box.keysConfig());
            keys.writeAuthorizedKeys(box.authorizedKeys());
            if (image.isPresent()) {
                FileTrees.copy(image.get().home(), box.home(), Set.of());
            }
            // Spawned under the state lock, so nobody ever sees a pending box without its host process.
            BoxState state = StateFile.update(box, s -> s.pending(launcher.spawn(box)))
                    .orElseThrow(() -> gone(box.id()));
            return toMachine(state);
        } catch (IOException | RuntimeException e) {
            CgrenderException failure = e instanceof CgrenderException ce ? ce
                    : new CgrenderException("cannot launch a local box: " + e.getMessage() + " (in " + boxesDir + ")",
                    e);
            try {
                terminate(box.id(), STOP_GRACE, Progress.NONE);
            } catch (RuntimeException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
    }

    @Override
    public Machine awaitRunning(String id, Duration timeout, Progress progress) {
        BoxDir box = requireBox(id);
        return Wait.until("waiting for local box " + id + " to run", timeout, POLL, progress, () -> {
            BoxState state = StateFile.read(box).orElseThrow(() -> new CgrenderException("local box " + id
                    + " disappeared while starting (terminated meanwhile?)").see("cgrender list"));
            MachineState observed = observe(state);
            return switch (observed) {
                case RUNNING -> Wait.Poll.ready(toMachine(state));
                case PENDING -> Wait.Poll.notYet("pending");
                case DEAD -> throw hostDied(box);
                case STOPPING, STOPPED -> throw new CgrenderException("local box " + id + " is " + observed.label())
                        .fix("cgrender start " + id);
                case TERMINATED -> throw new CgrenderException("local box " + id + " was terminated while starting"
                        + " (see its host.log in " + box.root() + " if it still exists)");
            };
        });
    }

    // ---------------------------------------------------------------- describe

    @Override
    public List<Machine> describe(MachineFilter filter) {
        String namespace = filter.namespace().toString();
        List<Machine> machines = new ArrayList<>();
        for (BoxState state : allStates()) {
            if (state.namespace().equals(namespace) && filter.role().map(state.role()::equals).orElse(true)) {
                Machine machine = toMachine(state);
                if (machine.state() != MachineState.TERMINATED) {
                    machines.add(machine);
                }
            }
        }
        machines.sort(Comparator.comparing(Machine::launchedAt).thenComparing(Machine::id));
        return machines;
    }

    @Override
    public Optional<Machine> find(String id) {
        if (id == null || !BoxDir.ID.matcher(id).matches()) {
            return Optional.empty();
        }
        return StateFile.read(BoxDir.of(boxesDir, id)).map(this::toMachine)
                .filter(m -> m.state() != MachineState.TERMINATED);
    }

    @Override
    public void tag(String id, Map<String, String> tags) {
        BoxDir box = requireBox(id);
        BoxState after = StateFile.update(box, s -> s.state() == MachineState.TERMINATED ? s : s.withTags(tags))
                .orElseThrow(() -> unknown(id));
        if (after.state() == MachineState.TERMINATED) {
            throw unknown(id);
        }
    }

    // ---------------------------------------------------------------- stop, start, terminate

    @Override
    public void stop(String id, Duration timeout, Progress progress) {
        BoxDir box = requireBox(id);
        BoxState before = StateFile.update(box, s -> s.state().isLive() ? s.withState(MachineState.STOPPING) : s)
                .orElseThrow(() -> unknown(id));
        if (before.state() == MachineState.TERMINATED) {
            throw unknown(id);
        }
        endHost(before, timeout, progress);
        BoxProcesses.killAll(id, PROCESS_GRACE);
        StateFile.update(box, s -> s.state() == MachineState.TERMINATED ? s : s.withoutHost(MachineState.STOPPED));
    }

    @Override
    public void start(String id, Duration timeout, Progress progress) {
        BoxDir box = requireBox(id);
        BoxState current = requireState(box);
        if (observe(current) == MachineState.STOPPING) {
            endHost(current, timeout, progress);
        }
        if (current.keptSince().isEmpty() && current.expiresAt().filter(at -> !Instant.now().isBefore(at))
                .isPresent()) {
            throw new CgrenderException("local box " + id + " reached its max lifetime at "
                    + current.expiresAt().orElseThrow()
                    + " and cannot start again; terminate it and create a new one")
                    .fix("cgrender terminate " + id);
        }
        if (observe(current) == MachineState.DEAD) {
            // A host that died may have left the box's processes behind.
            BoxProcesses.killAll(id, PROCESS_GRACE);
        }
        // Checked and spawned under the state lock: of several concurrent starts, exactly one spawns a host.
        StateFile.update(box, s -> {
            MachineState observed = observe(s);
            return observed == MachineState.STOPPED || observed == MachineState.DEAD ? s.pending(launcher.spawn(box)) : s;
        }).orElseThrow(() -> unknown(id));
        awaitRunning(id, timeout, progress);
    }

    @Override
    public void terminate(String id, Duration timeout, Progress progress) {
        if (id == null || !BoxDir.ID.matcher(id).matches()) {
            throw new CgrenderException("'" + id + "' is not a local box id (they look like l-0123456789ab)")
                    .see("cgrender list");
        }
        BoxDir box = BoxDir.of(boxesDir, id);
        if (!Files.exists(box.root())) {
            return;
        }
        Optional<BoxState> before = StateFile.update(box, s -> s.withState(MachineState.TERMINATED));
        before.ifPresent(state -> endHost(state, timeout, progress));
        BoxProcesses.killAll(id, PROCESS_GRACE);
        try {
            FileTrees.delete(box.root());
        } catch (IOException e) {
            throw new CgrenderException("cannot delete local box " + id + ": " + e.getMessage()
                    + "; its host is stopped, remove it by hand", e)
                    .fix("rm -rf " + Shell.quote(box.root().toString()));
        }
    }

    /** Ends the host process {@code state} names, if it still runs: SIGTERM, then SIGKILL after a grace period. */
    private void endHost(BoxState state, Duration timeout, Progress progress) {
        Optional<ProcessHandle> host = state.host().flatMap(ProcessIdentity::handle);
        if (host.isEmpty()) {
            return;
        }
        progress.step("stopping the box host of " + state.id() + " (pid " + host.get().pid() + ")");
        host.get().destroy();
        Duration grace = timeout.compareTo(STOP_GRACE) < 0 ? timeout : STOP_GRACE;
        if (awaitExit(host.get(), grace)) {
            return;
        }
        host.get().destroyForcibly();
        if (!awaitExit(host.get(), Duration.ofSeconds(5))) {
            throw new CgrenderException("the box host of local box " + state.id() + " (pid " + host.get().pid()
                    + ") does not exit even after SIGKILL").see("ps -p " + host.get().pid());
        }
    }

    private static boolean awaitExit(ProcessHandle process, Duration timeout) {
        try {
            return ProcessIdentity.awaitExit(process, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while stopping the box host (pid " + process.pid() + ")", e);
        }
    }

    // ---------------------------------------------------------------- access and images

    @Override
    public MachineAccess accessFor(Machine machine) {
        BoxDir box = requireBox(machine.id());
        BoxState state = requireState(box);
        MachineState observed = observe(state);
        if (observed != MachineState.RUNNING) {
            if (observed == MachineState.PENDING) {
                throw new CgrenderException("local box " + machine.id() + " is " + observed.label() + ", not running;"
                        + " wait for it to run");
            }
            throw new CgrenderException("local box " + machine.id() + " is " + observed.label() + ", not running")
                    .fix("cgrender start " + machine.id());
        }
        String user = state.tags().getOrDefault(Tags.LOGIN_USER, System.getProperty("user.name"));
        HostKeySource hostKeys = (m, timeout, progress) -> Set.of(hostKeyFingerprint(m.id()));
        return new MachineAccess(new SshEndpoint(LOOPBACK, state.port(), user), hostKeys);
    }

    /**
     * The fingerprint of the host key this cloud generated for box {@code id}: read from the box's own files,
     * never from what a server presents.
     */
    HostKeyFingerprint hostKeyFingerprint(String id) {
        BoxDir box = requireBox(id);
        try {
            return HostKeyFingerprint.ofPublicKeyLine(Files.readString(box.hostKeyPub()));
        } catch (IOException | IllegalArgumentException e) {
            throw new CgrenderException("cannot read the host key of local box " + id + " (" + box.hostKeyPub()
                    + "): " + e.getMessage() + "; terminate the box and create a new one", e);
        }
    }

    @Override
    public Optional<ImageSupport> images() {
        return Optional.of(images);
    }

    /** The namespace's key store under the configuration directory ({@link LocalKeyStore}). */
    @Override
    public Optional<KeyRegistry> keys() {
        return Optional.of(LocalKeyStore.of(configDir, namespace));
    }

    /** The agents of the namespace's boxes, reached through each box's inbox ({@link LocalBoxAgents}). */
    @Override
    public Optional<BoxAgents> agents() {
        return Optional.of(new LocalBoxAgents(this, namespace));
    }

    @Override
    public Optional<GarbageCollection> garbage() {
        return Optional.of(garbage);
    }

    /** A local box runs on this machine: it costs nothing. */
    @Override
    public Optional<Pricing> pricing() {
        return Optional.of(LocalPricing.FREE);
    }

    // ---------------------------------------------------------------- internals

    /** The directory of an existing, not terminated box. */
    BoxDir requireBox(String id) {
        if (id == null || !BoxDir.ID.matcher(id).matches()) {
            throw unknown(id);
        }
        BoxDir box = BoxDir.of(boxesDir, id);
        requireState(box);
        return box;
    }

    BoxState requireState(BoxDir box) {
        return StateFile.read(box).filter(s -> s.state() != MachineState.TERMINATED)
                .orElseThrow(() -> unknown(box.id()));
    }

    /** What a state file's box really is now: a recorded state checked against its host process. */
    static MachineState observe(BoxState state) {
        boolean hostAlive = state.host().map(ProcessIdentity::isAlive).orElse(false);
        return switch (state.state()) {
            case PENDING -> hostAlive
                    || (state.host().isEmpty() && Instant.now().isBefore(state.launchedAt().plus(SPAWN_GRACE)))
                    ? MachineState.PENDING : MachineState.DEAD;
            case RUNNING -> hostAlive ? MachineState.RUNNING : MachineState.DEAD;
            case STOPPING -> hostAlive ? MachineState.STOPPING : MachineState.STOPPED;
            case STOPPED, TERMINATED, DEAD -> state.state();
        };
    }

    private Machine toMachine(BoxState state) {
        MachineState observed = observe(state);
        if (observed == MachineState.DEAD) { // a dead box runs nothing, like a crashed machine: end what is left
            BoxProcesses.killAll(state.id(), PROCESS_GRACE);
        }
        Optional<String> address = observed == MachineState.RUNNING
                ? Optional.of(new SshEndpoint(LOOPBACK, state.port(), "-").address()) : Optional.empty();
        return new Machine(state.id(), observed, state.tags(), state.launchedAt(), address);
    }

    private List<BoxState> allStates() {
        List<BoxState> states = new ArrayList<>();
        if (!Files.isDirectory(boxesDir)) {
            return states;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(boxesDir, "l-*")) {
            for (Path dir : dirs) {
                try {
                    StateFile.read(new BoxDir(dir)).ifPresent(states::add);
                } catch (UncheckedIOException e) {
                    // a corrupt or half-deleted box: it cannot be described; terminate by id still removes it
                }
            }
        } catch (IOException e) {
            throw new CgrenderException("cannot list local boxes in " + boxesDir + ": " + e.getMessage(), e);
        }
        return states;
    }

    /**
     * A new box directory holding its first state: built under a hidden name ({@link BoxDir#BUILDING}) and renamed
     * into place, so that a launch killed at any moment leaves either a box the cloud can describe and terminate (an
     * orphan: its creator's lease is in its tags) or nothing but a hidden directory, which gc removes.
     */
    private BoxDir createBoxDir(Function<String, BoxState> firstState) {
        try {
            Files.createDirectories(boxesDir);
            while (true) {
                String id = randomId("l-");
                BoxDir box = BoxDir.of(boxesDir, id);
                Path building = boxesDir.resolve(BoxDir.BUILDING + id);
                Files.createDirectory(building, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                try {
                    StateFile.create(new BoxDir(building), firstState.apply(id));
                    if (!Files.exists(box.root())) {
                        Files.move(building, box.root(), StandardCopyOption.ATOMIC_MOVE);
                        return box;
                    }
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException taken) {
                    // 48 random bits collided: draw again
                }
                FileTrees.delete(building);
            }
        } catch (IOException e) {
            throw new CgrenderException("cannot create a box directory in " + boxesDir + ": " + e.getMessage()
                    + " (check XDG_STATE_HOME and free space)", e);
        }
    }

    static String randomId(String prefix) {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }

    private static CgrenderException hostDied(BoxDir box) {
        List<String> tail = box.hostLogTail(8);
        return new CgrenderException("the box host of local box " + box.id() + " is dead (it exited or was killed);"
                + " terminate the box (cgrender terminate " + box.id() + ") or start it again"
                + (tail.isEmpty() ? " (its log " + box.hostLog() + " is empty)"
                : "; last lines of " + box.hostLog() + ":\n  " + String.join("\n  ", tail)));
    }

    private static CgrenderException unknown(String id) {
        return new CgrenderException("no local box " + id).see("cgrender list");
    }

    private static CgrenderException gone(String id) {
        return new CgrenderException("local box " + id + " disappeared while launching (terminated meanwhile?)");
    }

    private static void requirePositive(Duration d, String what) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new CgrenderException("the " + what + " of a local box must be positive, not " + d);
        }
    }
}
