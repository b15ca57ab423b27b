package io.cgrender.local;

import io.cgrender.core.claim.Lease;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAccess;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Progress;
import io.cgrender.local.host.BoxDir;
import io.cgrender.local.host.BoxState;
import io.cgrender.local.host.StateFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A local cloud in a test's own temporary XDG directories, which remembers every box it launched and terminates
 * them all on {@link #close()}. Reaches boxes with the system OpenSSH client ({@code ssh}, {@code sftp}): a client
 * independent of the code under test, and the one {@code cgrender ssh} users have.
 */
final class LocalBoxes implements AutoCloseable {

    static final Duration RUNNING = Duration.ofSeconds(60);
    static final Duration GONE = Duration.ofSeconds(30);

    final Path base;
    final Dirs dirs;
    final Namespace namespace;
    final Cloud cloud;
    final NamespaceKey key;
    final KnownHosts knownHosts;
    private final Set<String> launched = new LinkedHashSet<>();

    LocalBoxes(Path base) {
        this(base, Map.of());
    }

    /** With configuration {@code overrides} by full path, e.g. {@code cgrender.keys}. */
    LocalBoxes(Path base, Map<String, Object> overrides) {
        this.base = base;
        this.dirs = new Dirs(base.resolve("config"), base.resolve("data"), base.resolve("state"));
        this.namespace = Namespace.parse("/local-test/", null);
        Settings settings = overrides.isEmpty() ? Settings.defaults()
                : Settings.load(dirs, Optional.empty(), Map.of(), overrides);
        this.cloud = new LocalCloudProvider().open(new CloudContext(settings, dirs, namespace, Console.silent()));
        this.key = NamespaceKey.loadOrCreate(dirs.keys(), namespace);
        this.knownHosts = new KnownHosts(dirs.knownHosts());
    }

    LaunchSpec spec(String role, Duration idleTimeout, Duration maxLifetime) {
        return spec(role, idleTimeout, maxLifetime, Optional.empty());
    }

    LaunchSpec spec(String role, Duration idleTimeout, Duration maxLifetime, Optional<String> image) {
        return new LaunchSpec(namespace, role, MachineSpec.ubuntu(1, 1, 8, "t3.micro"),
                Tags.forNewBox(namespace, role, "ubuntu", 0, Instant.now().plus(maxLifetime), idleTimeout,
                        Lease.ofSelf(Instant.now(), Duration.ofHours(1)).tagValue()), key.publicKeyLine(),
                idleTimeout, maxLifetime, image, Optional.empty(), false);
    }

    /** A box in stage launching under {@code lease}, ending itself as an orphan after {@code orphanTimeout}. */
    LaunchSpec leasedSpec(String lease, Duration orphanTimeout) {
        Duration maxLifetime = Duration.ofHours(1);
        return new LaunchSpec(namespace, "test-box", MachineSpec.ubuntu(1, 1, 8, "t3.micro"),
                Tags.forNewBox(namespace, "test-box", "ubuntu", 0, Instant.now().plus(maxLifetime),
                        Duration.ofMinutes(10), lease),
                key.publicKeyLine(), Duration.ofMinutes(10), maxLifetime, orphanTimeout, Optional.empty(),
                Optional.empty(), false);
    }

    Machine launch(Duration idleTimeout, Duration maxLifetime) {
        return launch(spec("test-box", idleTimeout, maxLifetime));
    }

    Machine launch(LaunchSpec spec) {
        Machine machine = cloud.launch(spec);
        launched.add(machine.id());
        return machine;
    }

    /** Remembers a box launched elsewhere, so that {@link #close()} terminates it. */
    void adopt(String id) {
        launched.add(id);
    }

    Machine launchRunning() {
        return launchRunning(Duration.ofMinutes(10), Duration.ofHours(1));
    }

    Machine launchRunning(Duration idleTimeout, Duration maxLifetime) {
        Machine machine = launch(idleTimeout, maxLifetime);
        return cloud.awaitRunning(machine.id(), RUNNING, Progress.NONE);
    }

    BoxDir box(String id) {
        return BoxDir.of(dirs.state().resolve("local").resolve("boxes"), id);
    }

    BoxState state(String id) {
        return StateFile.read(box(id)).orElseThrow(() -> new AssertionError("no state file for " + id));
    }

    ProcessHandle host(String id) {
        return state(id).host().flatMap(h -> h.handle())
                .orElseThrow(() -> new AssertionError("no live host process for " + id));
    }

    // ---------------------------------------------------------------- system OpenSSH client

    /** Pins the box's host key for system ssh, after checking it is the one the cloud's host-key source names. */
    private MachineAccess pin(Machine machine) throws IOException {
        MachineAccess access = cloud.accessFor(machine);
        Set<HostKeyFingerprint> trusted = access.hostKeys().trustedFingerprints(machine, Duration.ofSeconds(5),
                Progress.NONE);
        String keyLine = Files.readString(box(machine.id()).hostKeyPub());
        assertEquals(Set.of(HostKeyFingerprint.ofPublicKeyLine(keyLine)), trusted);
        knownHosts.pin(machine.id(), KeyFiles.parsePublicKeyLine(keyLine));
        return access;
    }

    List<String> sshCommand(Machine machine, String command) throws IOException {
        return sshCommand(machine, List.of(), command);
    }

    /** {@code ssh [extra options] user@host [command]}: no command opens a shell. */
    List<String> sshCommand(Machine machine, List<String> extraOptions, String commandOrNull) throws IOException {
        return sshCommand(key.privateKeyFile(), machine, extraOptions, commandOrNull);
    }

    /** Runs {@code command} on the box with system ssh logging in with {@code privateKey} (and no other key). */
    ExecResult sshWith(Path privateKey, Machine machine, String command) throws IOException, InterruptedException {
        return run(sshCommand(privateKey, machine, List.of("-o", "IdentitiesOnly=yes"), command), null);
    }

    private List<String> sshCommand(Path privateKey, Machine machine, List<String> extraOptions, String commandOrNull)
            throws IOException {
        MachineAccess access = pin(machine);
        List<String> argv = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", privateKey.toString(),
                "-p", Integer.toString(access.endpoint().port())));
        argv.addAll(clientOptions(machine.id()));
        argv.addAll(extraOptions);
        argv.add(access.endpoint().user() + "@" + access.endpoint().host());
        if (commandOrNull != null) {
            argv.add(commandOrNull);
        }
        return argv;
    }

    /** Runs {@code command} on the box with system ssh; fails the test if it does not finish in 30 s. */
    ExecResult ssh(Machine machine, String command) throws IOException, InterruptedException {
        return run(sshCommand(machine, command), null);
    }

    /** Runs system ssh with {@code extraOptions}, feeding it {@code stdin}. */
    ExecResult ssh(Machine machine, List<String> extraOptions, String commandOrNull, String stdin)
            throws IOException, InterruptedException {
        return run(sshCommand(machine, extraOptions, commandOrNull), stdin);
    }

    /** Runs an sftp batch against the box with system sftp. */
    ExecResult sftp(Machine machine, String batch) throws IOException, InterruptedException {
        MachineAccess access = pin(machine);
        List<String> argv = new ArrayList<>(List.of("sftp", "-F", "/dev/null", "-i", key.privateKeyFile().toString(),
                "-P", Integer.toString(access.endpoint().port()), "-b", "-"));
        argv.addAll(clientOptions(machine.id()));
        argv.add(access.endpoint().user() + "@" + access.endpoint().host());
        return run(argv, batch);
    }

    private List<String> clientOptions(String id) {
        return List.of("-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts.file(),
                "-o", "HostKeyAlias=" + id, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                "-o", "LogLevel=ERROR");
    }

    private ExecResult run(List<String> argv, String stdin) throws IOException, InterruptedException {
        Path out = Files.createTempFile(base, "out", ".txt");
        Path err = Files.createTempFile(base, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        }
        Process process = builder.start();
        if (stdin != null) {
            try (var in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("did not finish in 30 s: " + String.join(" ", argv));
        }
        return new ExecResult(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Terminates every box this fixture launched or adopted, and checks that none is left. */
    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        for (String id : launched) {
            try {
                cloud.terminate(id, GONE, Progress.NONE);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        for (String id : launched) {
            assertTrue(!Files.exists(box(id).root()), "box directory of " + id + " still exists");
        }
        cloud.close();
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("terminating the test's boxes failed");
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }
}
