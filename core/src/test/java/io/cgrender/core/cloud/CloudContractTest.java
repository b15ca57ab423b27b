package io.cgrender.core.cloud;

import io.cgrender.core.claim.Lease;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.HostKeyRejectedException;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.SshConnector;
import io.cgrender.core.ssh.SshTarget;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Progress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every {@link Cloud} must do, run against the real provider: each provider's tests extend this class and
 * implement {@link #openCloud}. Machines are reached with the real SSH client ({@link MinaSshConnector}) and
 * verified with the provider's {@link HostKeySource}.
 * <p>
 * Every test runs in its own temporary XDG directories and its own namespaces, and terminates whatever it launched
 * (and deletes the images it made) afterwards, even when it fails.
 * <p>
 * Hooks: {@link #settings()} for configuration (e.g. an endpoint override), {@link #decorate} to wrap the opened
 * cloud (e.g. to map machines of a cloud emulator to local SSH stand-ins), {@link #spec} for what is launched,
 * {@link #assertNothingLeftBehind()} to check the cleanup, and the timeouts.
 */
public abstract class CloudContractTest {

    private static final String ROLE_A = "contract-a";
    private static final String ROLE_B = "contract-b";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    protected Path temp;
    protected Dirs dirs;
    /** The namespace the tests work in, and a second one that must not see its machines. */
    protected Namespace namespace;
    protected Namespace otherNamespace;
    protected Cloud cloud;
    protected NamespaceKey key;
    protected KnownHosts knownHosts;
    protected SshConnector ssh;

    private final Set<String> launched = new LinkedHashSet<>();
    private final Set<String> images = new LinkedHashSet<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    // ---------------------------------------------------------------- hooks

    /** Opens the cloud under test. */
    protected abstract Cloud openCloud(CloudContext context);

    /** A well-formed machine id of this cloud that no machine has. */
    protected abstract String unknownMachineId();

    /** The configuration the cloud is opened with. */
    protected Settings settings() {
        return Settings.defaults();
    }

    /** The environment the cloud is opened with (credentials, regions). The default is this process's. */
    protected Map<String, String> environment() {
        return System.getenv();
    }

    /** Wraps the opened cloud, e.g. to substitute how machines are reached. The default is the cloud itself. */
    protected Cloud decorate(Cloud opened) {
        return opened;
    }

    /** What the tests launch: a small box of {@code role} in {@code ns}, optionally from an image. */
    protected LaunchSpec spec(Namespace ns, String role, Map<String, String> extraTags, Optional<String> image) {
        Duration maxLifetime = Duration.ofHours(1);
        Map<String, String> tags = new LinkedHashMap<>(Tags.forNewBox(ns, role, "ubuntu", 0,
                Instant.now().plus(maxLifetime), Duration.ofMinutes(10), Lease.ofSelf(Instant.now(), maxLifetime).tagValue()));
        tags.putAll(extraTags);
        return new LaunchSpec(ns, role, MachineSpec.ubuntu(1, 1, 8, "t3.micro"), tags,
                NamespaceKey.loadOrCreate(dirs.keys(), ns).publicKeyLine(), Duration.ofMinutes(30), maxLifetime,
                image, Optional.empty(), false);
    }

    protected Duration runningTimeout() {
        return Duration.ofMinutes(2);
    }

    protected Duration stateChangeTimeout() {
        return Duration.ofMinutes(2);
    }

    protected Duration sshTimeout() {
        return Duration.ofMinutes(1);
    }

    // ---------------------------------------------------------------- fixture

    @BeforeEach
    final void openTheCloud() {
        dirs = new Dirs(temp.resolve("config"), temp.resolve("data"), temp.resolve("state"));
        byte[] random = new byte[3];
        RANDOM.nextBytes(random);
        String suffix = HexFormat.of().formatHex(random);
        namespace = Namespace.parse("/contract-" + suffix + "/", null);
        otherNamespace = Namespace.parse("/contract-" + suffix + "/other/", null);
        cloud = decorate(openCloud(new CloudContext(settings(), dirs, namespace, Console.silent(), environment())));
        key = NamespaceKey.loadOrCreate(dirs.keys(), namespace);
        knownHosts = new KnownHosts(dirs.knownHosts());
        ssh = new MinaSshConnector(knownHosts);
    }

    @AfterEach
    final void cleanUp() throws Exception {
        if (cloud == null) {
            return; // the cloud never opened (e.g. the provider's test was skipped): nothing to clean up
        }
        List<Exception> failures = new ArrayList<>();
        for (AutoCloseable c : closeables) {
            closeQuietly(c, failures);
        }
        closeQuietly(ssh, failures);
        for (String id : launched) {
            try {
                cloud.terminate(id, stateChangeTimeout(), Progress.NONE);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        cloud.images().ifPresent(support -> images.forEach(id -> {
            try {
                support.delete(id);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }));
        closeQuietly(cloud, failures);
        if (!failures.isEmpty()) {
            Exception first = failures.remove(0);
            failures.forEach(first::addSuppressed);
            throw first;
        }
        assertNothingLeftBehind();
    }

    /**
     * Called after a test's machines were terminated and its images deleted: a provider checks here that nothing
     * of them remains (processes, files, cloud resources). The default checks nothing.
     */
    protected void assertNothingLeftBehind() throws Exception {
    }

    private static void closeQuietly(AutoCloseable c, List<Exception> failures) {
        try {
            c.close();
        } catch (Exception e) {
            failures.add(e);
        }
    }

    /** Launches a machine and remembers it for cleanup. */
    protected final Machine launch(Namespace ns, String role, Map<String, String> extraTags, Optional<String> image) {
        Machine machine = cloud.launch(spec(ns, role, extraTags, image));
        launched.add(machine.id());
        return machine;
    }

    protected final Machine launchRunning(String role) {
        Machine machine = launch(namespace, role, Map.of(), Optional.empty());
        return cloud.awaitRunning(machine.id(), runningTimeout(), Progress.NONE);
    }

    /** Opens (or reuses) the verified session to {@code machine} with the cloud's host-key source. */
    protected final RemoteHost connect(Machine machine) {
        return connect(ssh, machine, () -> trustedFingerprints(machine));
    }

    private RemoteHost connect(SshConnector connector, Machine machine, Supplier<Set<HostKeyFingerprint>> trusted) {
        MachineAccess access = cloud.accessFor(machine);
        return connector.connect(new SshTarget(machine.id(), access.endpoint(), key.keyPair(), trusted),
                sshTimeout(), Progress.NONE);
    }

    protected final Set<HostKeyFingerprint> trustedFingerprints(Machine machine) {
        return cloud.accessFor(machine).hostKeys().trustedFingerprints(machine, sshTimeout(), Progress.NONE);
    }

    private Image saveImage(Machine machine, int generation) {
        return saveImage(machine, generation, true);
    }

    /** Saves an image, waiting until it is usable ({@link ImageSupport#create}) or only until it exists (start). */
    private Image saveImage(Machine machine, int generation, boolean wait) {
        Map<String, String> tags = Map.of(
                Tags.NAME, namespace + machine.role() + "#gen" + generation,
                Tags.NAMESPACE, namespace.toString(),
                Tags.ROLE, machine.role(),
                Tags.GENERATION, Integer.toString(generation),
                Tags.LOGIN_USER, "ubuntu");
        ImageSupport support = cloud.images().orElseThrow();
        Image image = wait ? support.create(machine, tags, stateChangeTimeout(), Progress.NONE)
                : support.start(machine, tags, stateChangeTimeout(), Progress.NONE);
        images.add(image.id());
        return image;
    }

    private static List<String> ids(List<Machine> machines) {
        return machines.stream().map(Machine::id).toList();
    }

    // ---------------------------------------------------------------- the contract

    @Test
    void launchReturnsAnIdAtOnceAndTheMachineCarriesItsTags() {
        Machine machine = launch(namespace, ROLE_A, Map.of("contract:marker", "m1"), Optional.empty());

        assertFalse(machine.id().isBlank());
        assertTrue(machine.state() == MachineState.PENDING || machine.state() == MachineState.RUNNING,
                "a just launched machine is pending (or already running), not " + machine.state());
        Machine found = cloud.find(machine.id()).orElseThrow(() -> new AssertionError("find does not know "
                + machine.id() + " right after launch"));
        for (Machine m : List.of(machine, found)) {
            assertEquals(namespace, m.namespace());
            assertEquals(ROLE_A, m.role());
            assertEquals("m1", m.tags().get("contract:marker"));
            assertEquals(namespace + ROLE_A, m.tags().get(Tags.NAME));
        }
    }

    @Test
    void awaitRunningReturnsTheRunningMachineWithAnAddress() {
        Machine machine = launch(namespace, ROLE_A, Map.of(), Optional.empty());

        Machine running = cloud.awaitRunning(machine.id(), runningTimeout(), Progress.NONE);

        assertEquals(machine.id(), running.id());
        assertEquals(MachineState.RUNNING, running.state());
        assertTrue(running.address().isPresent(), "a running machine has an address");
        assertEquals(MachineState.RUNNING, cloud.find(machine.id()).orElseThrow().state());
    }

    @Test
    void describeShowsOnlyTheNamespaceAndRoleAskedForOldestFirst() {
        Machine a1 = launch(namespace, ROLE_A, Map.of(), Optional.empty());
        Machine b = launch(namespace, ROLE_B, Map.of(), Optional.empty());
        Machine a2 = launch(namespace, ROLE_A, Map.of(), Optional.empty());
        Machine other = launch(otherNamespace, ROLE_A, Map.of(), Optional.empty());

        List<Machine> all = cloud.describe(MachineFilter.of(namespace));
        assertEquals(Set.of(a1.id(), b.id(), a2.id()), Set.copyOf(ids(all)));
        assertEquals(3, all.size());
        assertEquals(Set.of(a1.id(), a2.id()), Set.copyOf(ids(cloud.describe(MachineFilter.of(namespace, ROLE_A)))));
        assertEquals(List.of(b.id()), ids(cloud.describe(MachineFilter.of(namespace, ROLE_B))));
        assertEquals(List.of(other.id()), ids(cloud.describe(MachineFilter.of(otherNamespace))));

        // Oldest first: launch times never decrease, and machines launched at distinct times come in launch order.
        List<String> launchOrder = List.of(a1.id(), b.id(), a2.id());
        for (int i = 1; i < all.size(); i++) {
            assertFalse(all.get(i).launchedAt().isBefore(all.get(i - 1).launchedAt()), "not oldest first: " + all);
        }
        Map<String, Instant> launchedAt = new LinkedHashMap<>();
        all.forEach(m -> launchedAt.put(m.id(), m.launchedAt()));
        for (int i = 0; i < launchOrder.size(); i++) {
            for (int j = i + 1; j < launchOrder.size(); j++) {
                Instant earlier = launchedAt.get(launchOrder.get(i));
                Instant later = launchedAt.get(launchOrder.get(j));
                assertFalse(later.isBefore(earlier), launchOrder.get(j) + " was launched after "
                        + launchOrder.get(i) + " but is reported older");
                if (earlier.isBefore(later)) {
                    assertTrue(ids(all).indexOf(launchOrder.get(i)) < ids(all).indexOf(launchOrder.get(j)),
                            "not in launch order: " + ids(all));
                }
            }
        }
    }

    @Test
    void tagAddsAndReplacesTagsAndKeepsTheOthers() {
        Machine machine = launch(namespace, ROLE_A, Map.of("contract:marker", "m1"), Optional.empty());

        cloud.tag(machine.id(), Map.of(Tags.STAGE, Tags.Stage.READY.tagValue(), "contract:added", "yes"));

        Machine found = cloud.find(machine.id()).orElseThrow();
        assertEquals(Optional.of(Tags.Stage.READY), found.stage());
        assertEquals("yes", found.tags().get("contract:added"));
        assertEquals("m1", found.tags().get("contract:marker"));
        assertEquals(ROLE_A, found.role());
        Machine described = cloud.describe(MachineFilter.of(namespace, ROLE_A)).get(0);
        assertEquals(found.tags(), described.tags());
    }

    @Test
    void sshWithTheCloudsHostKeyRunsCommandsAndPinsTheKey() {
        Machine machine = launchRunning(ROLE_A);
        Set<HostKeyFingerprint> trusted = trustedFingerprints(machine);
        assertFalse(trusted.isEmpty(), "the cloud vouches for at least one host key");

        ExecResult result = connect(machine).exec("echo hello from $((6 * 7))", sshTimeout());

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("hello from 42\n", result.stdout());
        List<String> pinned = knownHosts.keysFor(machine.id());
        assertEquals(1, pinned.size(), "the host key is pinned under the machine id");
        assertTrue(trusted.contains(HostKeyFingerprint.ofPublicKeyLine(pinned.get(0))));
    }

    @Test
    void aHostKeyTheCloudDoesNotVouchForIsRefused() {
        Machine machine = launchRunning(ROLE_A);
        HostKeyFingerprint stranger = KeyFiles.fingerprint(KeyFiles.generateEd25519().getPublic());
        KnownHosts freshPins = new KnownHosts(temp.resolve("fresh_known_hosts"));
        SshConnector connector = new MinaSshConnector(freshPins);
        closeables.add(connector);

        assertThrows(HostKeyRejectedException.class, () -> connect(connector, machine, () -> Set.of(stranger)));
        assertFalse(freshPins.isPinned(machine.id()), "a refused key is never pinned");
    }

    @Test
    void aPinnedKeyWinsOverWhatTheCloudVouchesFor() {
        Machine machine = launchRunning(ROLE_A);
        knownHosts.pin(machine.id(), KeyFiles.generateEd25519().getPublic());

        assertThrows(HostKeyRejectedException.class, () -> connect(machine));
    }

    @Test
    void stopAndStartKeepTheHostKey() {
        Machine machine = launchRunning(ROLE_A);
        assertEquals(0, connect(machine).exec("true", sshTimeout()).exitCode());
        Set<HostKeyFingerprint> before = trustedFingerprints(machine);
        ssh.disconnect(machine.id());

        cloud.stop(machine.id(), stateChangeTimeout(), Progress.NONE);
        assertEquals(MachineState.STOPPED, cloud.find(machine.id()).orElseThrow().state());
        assertEquals(List.of(MachineState.STOPPED), cloud.describe(MachineFilter.of(namespace)).stream()
                .map(Machine::state).toList());

        cloud.start(machine.id(), stateChangeTimeout(), Progress.NONE);
        Machine restarted = cloud.awaitRunning(machine.id(), runningTimeout(), Progress.NONE);
        assertEquals(MachineState.RUNNING, restarted.state());
        assertEquals(before, trustedFingerprints(restarted));
        // The key pinned before the stop must still match: connecting proves the host key did not change.
        ExecResult result = connect(restarted).exec("echo again", sshTimeout());
        assertEquals("again\n", result.stdout());
    }

    @Test
    void imagesSaveTheMachineAndLaunchCopiesOfIt() {
        assumeTrue(cloud.images().isPresent(), "the " + cloud.name() + " cloud has no images");
        ImageSupport support = cloud.images().orElseThrow();
        Machine machine = launchRunning(ROLE_A);
        assertEquals(0, connect(machine).exec("echo made before the image > marker.txt", sshTimeout()).exitCode());

        Image first = saveImage(machine, 1);
        assertEquals(Image.State.AVAILABLE, first.state(), "create returns a usable image");
        Image second = saveImage(machine, 2, false);
        assertTrue(second.state() != Image.State.FAILED, "start returns the image at once: " + second);
        second = io.cgrender.core.ui.Wait.until("image " + second.id() + " to be available", stateChangeTimeout(),
                Duration.ofMillis(100), Progress.NONE, () -> support.list(namespace, ROLE_A).stream()
                        .filter(i -> i.available() && i.generation() == 2).findFirst()
                        .map(io.cgrender.core.ui.Wait.Poll::ready)
                        .orElseGet(() -> io.cgrender.core.ui.Wait.Poll.notYet("not available yet")));

        assertEquals(List.of(second.id(), first.id()), support.list(namespace, ROLE_A).stream().map(Image::id)
                .toList(), "newest generation first");
        assertEquals(List.of(2, 1), support.list(namespace, null).stream().map(Image::generation).toList());
        assertEquals(List.of(), support.list(namespace, ROLE_B));
        assertEquals(List.of(), support.list(otherNamespace, ROLE_A));

        Machine copy = launch(namespace, ROLE_A, Map.of(), Optional.of(second.id()));
        copy = cloud.awaitRunning(copy.id(), runningTimeout(), Progress.NONE);
        assertNotEquals(machine.id(), copy.id());
        ExecResult marker = connect(copy).exec("cat marker.txt", sshTimeout());
        assertEquals("made before the image\n", marker.stdout(), marker.stderr());

        support.delete(first.id());
        assertEquals(List.of(second.id()), support.list(namespace, ROLE_A).stream().map(Image::id).toList());
        support.delete(first.id());
    }

    @Test
    void terminateRemovesTheMachineAndIsIdempotent() {
        Machine machine = launchRunning(ROLE_A);
        Machine sibling = launch(namespace, ROLE_A, Map.of(), Optional.empty());

        cloud.terminate(machine.id(), stateChangeTimeout(), Progress.NONE);

        assertTrue(cloud.find(machine.id()).isEmpty());
        assertEquals(List.of(sibling.id()), ids(cloud.describe(MachineFilter.of(namespace))));
        cloud.terminate(machine.id(), stateChangeTimeout(), Progress.NONE);
    }

    @Test
    void unknownIdsAreRefusedNamingTheId() {
        String unknown = unknownMachineId();

        assertTrue(cloud.find(unknown).isEmpty());
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("awaitRunning", () -> cloud.awaitRunning(unknown, Duration.ofSeconds(5), Progress.NONE));
        calls.put("stop", () -> cloud.stop(unknown, Duration.ofSeconds(5), Progress.NONE));
        calls.put("start", () -> cloud.start(unknown, Duration.ofSeconds(5), Progress.NONE));
        calls.put("tag", () -> cloud.tag(unknown, Map.of("contract:x", "y")));
        calls.forEach((name, call) -> {
            CgrenderException e = assertThrows(CgrenderException.class, call, name);
            assertTrue(e.getMessage().contains(unknown), name + ": " + e.getMessage());
        });
        cloud.terminate(unknown, Duration.ofSeconds(5), Progress.NONE);
    }
}
