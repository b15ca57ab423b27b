package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.keys.RegisteredKey;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ui.Progress;
import io.cgrender.local.host.BoxAgent;
import io.cgrender.local.host.BoxDir;
import io.cgrender.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Namespace keys and the box agent on the local cloud, with real box hosts and the system OpenSSH client: keys
 * registered or removed while a box runs count within a minute with no cgrender client connected, {@code cgrender.keys}
 * selects, messages are only triggers, and the agent answers pings, extends the box's life, ends the box, and keeps
 * working whatever lands in its inbox.
 */
class LocalKeysTest {

    private static final Duration LIVE = Duration.ofSeconds(60);
    private static final Duration PING = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    private LocalBoxes boxes;

    @AfterEach
    void terminateEverything() {
        if (boxes != null) {
            boxes.close();
        }
    }

    private LocalBoxes boxes(Map<String, Object> overrides) {
        boxes = new LocalBoxes(temp, overrides);
        return boxes;
    }

    private KeyRegistry keys() {
        return boxes.cloud.keys().orElseThrow();
    }

    private BoxAgents agents() {
        return boxes.cloud.agents().orElseThrow();
    }

    /** A person's own key pair, in files as ssh-keygen makes them. */
    private Path person(String name) throws IOException {
        Path key = temp.resolve("people").resolve(name).resolve("id_ed25519");
        KeyFiles.write(KeyFiles.generateEd25519(), key, name + "@elsewhere");
        return key;
    }

    private static String pub(Path key) throws IOException {
        return Files.readString(KeyFiles.publicKeyFile(key));
    }

    private boolean canLogIn(Path key, Machine box) {
        try {
            ExecResult r = boxes.sshWith(key, box, "echo in");
            return r.exitCode() == 0 && r.stdout().equals("in\n");
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Pings until answered: every message posted before has then been carried out (the agent takes them in order). */
    private Duration pinged(String id) {
        return agents().ping(id, PING, Progress.NONE).orElseThrow(() -> new AssertionError("no answer from " + id
                + "; host log:\n" + String.join("\n", boxes.box(id).hostLogTail(30))));
    }

    @Test
    void aKeyRegisteredWhileTheBoxRunsLetsItsOwnerInAndARemovedOneIsRefused() throws Exception {
        boxes(Map.of());
        Path alice = person("alice");
        Machine box = boxes.launchRunning();
        assertFalse(canLogIn(alice, box), "an unregistered key is refused");

        RegisteredKey registered = keys().register("alice", pub(alice));
        assertEquals("ssh-ed25519", registered.type());
        agents().broadcast(AgentCommand.syncKeys());
        long start = System.nanoTime();
        assertTrue(Poll.until(LIVE, () -> canLogIn(alice, box)), "alice gets in within a minute");
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0,
                "in about a second, not at the end of the minute");
        assertTrue(canLogIn(boxes.key.privateKeyFile(), box), "the namespace's own key still works");

        assertTrue(keys().remove("alice"));
        assertFalse(keys().remove("alice"), "gone already");
        agents().broadcast(AgentCommand.syncKeys());
        assertTrue(Poll.until(LIVE, () -> !canLogIn(alice, box)), "alice is refused once removed");
        assertTrue(canLogIn(boxes.key.privateKeyFile(), box));
    }

    @Test
    void aBoxAuthorizesTheSelectedRegisteredKeysFromLaunchAndKeepsTheOthersOut() throws Exception {
        boxes(Map.of("cgrender.keys", List.of("alice")));
        Path alice = person("alice");
        Path bob = person("bob");
        keys().register("alice", pub(alice));
        keys().register("bob", pub(bob));
        Machine box = boxes.launchRunning();
        assertTrue(canLogIn(alice, box), "alice is selected and authorized from launch");
        assertFalse(canLogIn(bob, box), "bob is registered but not selected");

        agents().broadcast(AgentCommand.syncKeys());
        pinged(box.id());
        assertFalse(canLogIn(bob, box), "a sync keeps to the selection");
        assertTrue(canLogIn(alice, box));
        String authorized = Files.readString(boxes.box(box.id()).authorizedKeys());
        assertEquals(2, authorized.lines().count(), authorized);
    }

    @Test
    void aForgedMessageCarryingAKeyAddsNoKey() throws Exception {
        boxes(Map.of());
        Path mallory = person("mallory");
        String line = pub(mallory).strip();
        Machine box = boxes.launchRunning();
        BoxDir dir = boxes.box(box.id());
        int n = 0;
        for (String forged : List.of("sync-keys " + line, "sync-keys\n" + line, line, "ping x\n" + line)) {
            Files.writeString(dir.inbox().resolve("0000000000000-forged" + n++ + ".msg"), forged + "\n");
        }
        pinged(box.id());
        assertFalse(canLogIn(mallory, box), "no key is ever taken from a message");
        assertFalse(Files.readString(dir.authorizedKeys()).contains(line.split(" ")[1]));
        assertTrue(String.join("\n", dir.hostLogTail(40)).contains("ignoring malformed message"),
                String.join("\n", dir.hostLogTail(40)));
    }

    @Test
    void theAgentAnswersPingsOfRunningBoxesOnly() throws Exception {
        boxes(Map.of());
        Machine box = boxes.launchRunning();
        Duration roundTrip = pinged(box.id());
        assertTrue(roundTrip.compareTo(Duration.ofSeconds(5)) < 0, roundTrip.toString());
        String pong = boxes.cloud.find(box.id()).orElseThrow().tags().get(Tags.AGENT_PONG);
        assertTrue(pong.matches("[0-9a-f]{16} \\S+"), pong);

        boxes.cloud.stop(box.id(), Duration.ofSeconds(30), Progress.NONE);
        CgrenderException stopped = assertThrows(CgrenderException.class,
                () -> agents().ping(box.id(), PING, Progress.NONE));
        assertTrue(stopped.getMessage().contains("is stopped"), stopped.getMessage());
        assertEquals(Optional.of("fix: cgrender start " + box.id()), stopped.hint());
        assertThrows(CgrenderException.class, () -> agents().send("l-000000000000", AgentCommand.stop()));
    }

    @Test
    void extendMovesTheExpiryAtMostTheMaxLifetimeFromNowAndTheWatchdogObeysIt() throws Exception {
        boxes(Map.of());
        Duration maxLifetime = Duration.ofSeconds(12);
        Duration extension = Duration.ofSeconds(15);
        Machine box = boxes.launchRunning(Duration.ofMinutes(10), maxLifetime);
        Instant oldExpiry = Instant.parse(box.tags().get(Tags.EXPIRES_AT));
        assertEquals(maxLifetime.toString(), box.tags().get(Tags.MAX_LIFETIME));

        // two thirds into its life, extended by more than its max lifetime: it ends its max lifetime from now
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> Instant.now().isAfter(oldExpiry.minusSeconds(4))));
        Instant sent = Instant.now();
        agents().send(box.id(), AgentCommand.extend(extension));
        pinged(box.id());
        Instant newExpiry = Instant.parse(boxes.cloud.find(box.id()).orElseThrow().tags().get(Tags.EXPIRES_AT));
        assertTrue(newExpiry.isBefore(oldExpiry.plus(extension)), "capped: " + newExpiry);
        assertTrue(!newExpiry.isBefore(sent.plus(maxLifetime)) && !newExpiry.isAfter(Instant.now().plus(maxLifetime)),
                "the max lifetime from when the agent took it: " + newExpiry);
        assertEquals(Optional.of(newExpiry), boxes.state(box.id()).expiresAt());

        assertTrue(Poll.until(Duration.between(Instant.now(), oldExpiry).plusSeconds(30),
                () -> Instant.now().isAfter(oldExpiry.plusSeconds(2))));
        assertEquals(MachineState.RUNNING, boxes.cloud.find(box.id()).orElseThrow().state(),
                "alive after its old expiry");
        assertTrue(Poll.until(Duration.between(Instant.now(), newExpiry).plusSeconds(20),
                () -> boxes.cloud.find(box.id()).isEmpty()), "ends itself at the new expiry");
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> !Files.exists(boxes.box(box.id()).root())));
    }

    @Test
    void stopAndTerminateEndTheBoxAsItsWatchdogWould() throws Exception {
        boxes(Map.of());
        Machine box = boxes.launchRunning();
        agents().send(box.id(), AgentCommand.stop());
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> boxes.cloud.find(box.id()).orElseThrow().state()
                == MachineState.STOPPED));
        assertTrue(Files.isDirectory(boxes.box(box.id()).home()), "a stopped box keeps its disk");

        boxes.cloud.start(box.id(), LocalBoxes.RUNNING, Progress.NONE);
        pinged(box.id());
        agents().send(box.id(), AgentCommand.terminate());
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> boxes.cloud.find(box.id()).isEmpty()));
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> !Files.exists(boxes.box(box.id()).root())));
    }

    @Test
    void theAgentKeepsWorkingWhateverLandsInItsInbox() throws Exception {
        boxes(Map.of());
        Path alice = person("alice");
        Machine box = boxes.launchRunning();
        BoxDir dir = boxes.box(box.id());
        Path notAFile = Files.createDirectories(dir.inbox().resolve("0000000000000-a.msg"));
        Files.writeString(notAFile.resolve("inside"), "x");
        Files.write(dir.inbox().resolve("0000000000000-b.msg"), new byte[] {0, 1, 2, (byte) 0xff, '\n'});
        Files.writeString(dir.inbox().resolve("0000000000000-c.msg"), "sync-keys ".repeat(100));
        Files.writeString(dir.inbox().resolve("0000000000000-d.msg"), "extend P-1D\n");
        Files.createSymbolicLink(dir.inbox().resolve("0000000000000-e.msg"), dir.authorizedKeys());
        pinged(box.id());
        String log = String.join("\n", dir.hostLogTail(40));
        assertTrue(log.contains("which cannot be read"), log);
        assertEquals(MachineState.RUNNING, boxes.cloud.find(box.id()).orElseThrow().state());
        assertTrue(Files.exists(dir.authorizedKeys()), "a link in the inbox is not followed or deleted through");

        // Its inbox removed under it: the agent makes it again and carries on.
        Files.walk(dir.inbox()).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        keys().register("alice", pub(alice));
        agents().broadcast(AgentCommand.syncKeys());
        assertTrue(Poll.until(LIVE, () -> canLogIn(alice, box)), "the agent still syncs keys");
    }

    @Test
    void theSupervisorStartsAFailedAgentAgain() {
        AtomicInteger runs = new AtomicInteger();
        BoxAgent.Supervisor supervisor = new BoxAgent.Supervisor("test-agent", () -> {
            if (runs.incrementAndGet() == 1) {
                throw new StackOverflowError("first run fails");
            }
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        supervisor.start();
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> supervisor.check()), "the failure is noticed");
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> runs.get() == 2), "and the agent runs again");
        assertFalse(supervisor.check(), "a running agent is left alone");
        assertEquals(1, supervisor.restarts());
        supervisor.stop();
    }

    @Test
    void theKeyStoreIsPrivateRefusesDuplicatesAndTakesConcurrentRegistrationsOneAtATime() throws Exception {
        boxes(Map.of());
        Path alice = person("alice");
        keys().register("alice", pub(alice));
        Path store = boxes.dirs.config().resolve("namespaces").resolve(boxes.namespace.encoded()).resolve("keys");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                store.resolve("alice.key"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.getParent())));

        UsageException taken = assertThrows(UsageException.class, () -> keys().register("alice", pub(person("x"))));
        assertEquals(Optional.of("fix: cgrender remove-key alice"), taken.hint());
        UsageException twice = assertThrows(UsageException.class, () -> keys().register("alice2", pub(alice)));
        assertTrue(twice.getMessage().contains("registered already, as alice"), twice.getMessage());
        assertThrows(UsageException.class, () -> keys().register("Bad Name", pub(alice)));

        // Eight clients register one name at once: exactly one wins, the others are told it is taken.
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Boolean>> attempts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String line = pub(person("carol" + i));
            Callable<Boolean> attempt = () -> {
                try {
                    keys().register("carol", line);
                    return true;
                } catch (UsageException e) {
                    return false;
                }
            };
            attempts.add(pool.submit(attempt));
        }
        int won = 0;
        for (Future<Boolean> attempt : attempts) {
            won += attempt.get() ? 1 : 0;
        }
        pool.shutdown();
        assertEquals(1, won);
        assertEquals(List.of("alice", "carol"), keys().list().stream().map(RegisteredKey::name).toList());
        assertNotEquals(keys().list().get(0).fingerprint(), keys().list().get(1).fingerprint());
    }
}
