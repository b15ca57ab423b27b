package io.cgrender.local;

import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.box.BoxLifetime;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.local.host.BoxState;
import io.cgrender.local.host.StateFile;
import io.cgrender.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cgrender-box} run inside real local boxes over system ssh, as a user logged in to the box runs it: status,
 * extend, keep and release reach the box's agent, the client sees the new expiry and the box host's watchdog obeys it.
 */
class BoxLifetimeCommandTest {

    @TempDir
    Path temp;
    private LocalBoxes boxes;

    @AfterEach
    void close() throws Exception {
        if (boxes != null) {
            boxes.close();
        }
    }

    private Machine machine(String id) {
        return boxes.cloud.find(id).orElseThrow(() -> new AssertionError(id + " is gone; host log:\n"
                + String.join("\n", boxes.box(id).hostLogTail(30))));
    }

    private ExecResult inBox(Machine box, String command) throws Exception {
        return boxes.ssh(box, command);
    }

    @Test
    void statusExtendKeepAndReleaseFromInsideTheBoxMoveWhatTheClientSees() throws Exception {
        boxes = new LocalBoxes(temp);
        Machine box = boxes.launchRunning(Duration.ofMinutes(10), Duration.ofHours(1));
        // a box that has been up for 50 minutes: 10 minutes of its max lifetime (1 h) left
        Instant soon = Instant.now().plus(Duration.ofMinutes(10));
        StateFile.update(boxes.box(box.id()), s -> s.withExpiresAt(soon));

        ExecResult status = inBox(box, "cgrender-box status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("box:         " + box.id()), status.stdout());
        assertTrue(status.stdout().contains("role:        test-box"), status.stdout());
        assertTrue(status.stdout().contains("namespace:   " + boxes.namespace), status.stdout());
        // busy as soon as the watchdog saw the session (within half a second), not reported before
        assertTrue(status.stdout().matches("(?s).*idle timer:  (busy \\(a session or a job\\)|not reported yet);"
                + " ends the box after 10m idle\n.*"), status.stdout());
        assertTrue(status.stdout().matches("(?s).*expiry: +20\\d\\d-\\S+Z \\(in (9m\\d*s?|10m)\\); an extension"
                + " reaches at most 1h from now.*"), status.stdout());
        assertTrue(status.stdout().contains("jobs:        none running"), status.stdout());

        ExecResult extended = inBox(box, "cgrender-box extend 30m");
        assertEquals(0, extended.exitCode(), extended.toString());
        Instant expiry = BoxLifetime.of(machine(box.id())).expiresAt().orElseThrow();
        assertTrue(Duration.between(soon, expiry).toSeconds() == 1800, "30 minutes later: " + expiry);
        assertTrue(extended.stdout().startsWith("box " + box.id() + " now ends itself at "
                + expiry.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " at the latest (in 3"),
                extended.stdout());

        ExecResult capped = inBox(box, "cgrender-box extend PT2H");
        assertEquals(0, capped.exitCode(), capped.toString());
        Instant cappedExpiry = BoxLifetime.of(machine(box.id())).expiresAt().orElseThrow();
        assertTrue(!cappedExpiry.isAfter(Instant.now().plus(Duration.ofHours(1)))
                && cappedExpiry.isAfter(Instant.now().plus(Duration.ofMinutes(59))), "capped at 1h: " + cappedExpiry);

        ExecResult kept = inBox(box, "cgrender-box keep");
        assertEquals(0, kept.exitCode(), kept.toString());
        assertTrue(kept.stdout().contains("is kept (since ") && kept.stdout().contains("`cgrender-box release`"),
                kept.stdout());
        BoxLifetime whileKept = BoxLifetime.of(machine(box.id()));
        assertTrue(whileKept.kept(), machine(box.id()).tags().toString());
        assertEquals(Optional.of(cappedExpiry), whileKept.expiresAt(), "the expiry before the keep stays");
        assertEquals(Optional.empty(), whileKept.next(), "a kept box does not end itself");
        assertTrue(inBox(box, "cgrender-box status").stdout().contains("expiry:      kept since "));
        ExecResult noExtend = inBox(box, "cgrender-box extend 1h");
        assertEquals(0, noExtend.exitCode(), noExtend.toString());
        assertTrue(noExtend.stdout().contains("nothing to extend"), noExtend.stdout());

        ExecResult released = inBox(box, "cgrender-box release");
        assertEquals(0, released.exitCode(), released.toString());
        assertTrue(released.stdout().contains("now ends itself at"), released.stdout());
        BoxLifetime after = BoxLifetime.of(machine(box.id()));
        assertFalse(after.kept());
        assertEquals(Optional.of(cappedExpiry), after.expiresAt(), "later than the idle timeout from now: kept");
        assertEquals("", machine(box.id()).tags().get(Tags.KEPT));
    }

    @Test
    void badInputExitsTwoAndChangesNothing() throws Exception {
        boxes = new LocalBoxes(temp);
        Machine box = boxes.launchRunning(Duration.ofMinutes(10), Duration.ofHours(1));
        BoxState before = boxes.state(box.id());
        for (String bad : List.of("cgrender-box", "cgrender-box frobnicate", "cgrender-box extend",
                "cgrender-box extend soon", "cgrender-box extend 0m", "cgrender-box extend -2h",
                "cgrender-box extend 2h 3h", "cgrender-box keep now", "cgrender-box release all",
                "cgrender-box extend PT", "cgrender-box extend 2x")) {
            ExecResult r = inBox(box, bad);
            assertEquals(2, r.exitCode(), bad + ": " + r);
            assertEquals("", r.stdout(), bad + ": " + r);
            if (bad.endsWith("soon")) {
                assertEquals(List.of("cgrender-box: 'soon' is not a duration", "fix: give it as hours, minutes and"
                        + " seconds, e.g. 2h, 90m, 1h30m, 1d or ISO-8601 PT2H"), r.stderr().lines().toList());
            }
        }
        ExecResult help = inBox(box, "cgrender-box --help");
        assertEquals(0, help.exitCode());
        assertTrue(help.stdout().startsWith("Usage: cgrender-box COMMAND"), help.stdout());
        BoxState after = boxes.state(box.id());
        assertEquals(before.expiresAt(), after.expiresAt());
        assertEquals(before.keptSince(), after.keptSince());
        assertTrue(boxes.box(box.id()).hostLogTail(200).stream().noneMatch(l -> l.contains("agent: extend")
                || l.contains("agent: keep")), "nothing reached the agent");
    }

    @Test
    void aKeptBoxOutlivesItsExpiryAndIdleTimeoutAndEndsAfterItsRelease() throws Exception {
        boxes = new LocalBoxes(temp);
        Duration idle = Duration.ofSeconds(4);
        Machine box = boxes.launchRunning(idle, Duration.ofSeconds(8));
        Instant expiry = BoxLifetime.of(box).expiresAt().orElseThrow();
        boxes.cloud.agents().orElseThrow().send(box.id(), AgentCommand.keep());
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> BoxLifetime.of(machine(box.id())).kept()));

        assertTrue(Poll.until(Duration.ofSeconds(30), () -> Instant.now().isAfter(expiry.plusSeconds(3))));
        assertEquals(MachineState.RUNNING, machine(box.id()).state(), "kept: alive past its expiry and idle timeout");

        Instant released = Instant.now();
        boxes.cloud.agents().orElseThrow().send(box.id(), AgentCommand.release());
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> boxes.cloud.find(box.id())
                .map(m -> !BoxLifetime.of(m).kept()).orElse(true)));
        boxes.cloud.find(box.id()).ifPresent(m -> assertFalse(BoxLifetime.of(m).expiresAt().orElseThrow()
                .isBefore(released.plus(idle)), "never sooner than the idle timeout from the release"));
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> boxes.cloud.find(box.id()).isEmpty()),
                "released, it ends itself");
        Instant gone = Instant.now();
        assertFalse(gone.isBefore(released.plus(idle)), "not before its idle timeout counted from the release");
    }

    @Test
    void aBoxWithNoExpiryHasOnlyItsIdleTimer() throws Exception {
        boxes = new LocalBoxes(temp);
        LaunchSpec expiring = boxes.spec("test-box", Duration.ofMinutes(10), Duration.ofSeconds(5));
        LaunchSpec spec = new LaunchSpec(expiring.namespace(), expiring.role(), expiring.machine(), expiring.tags(),
                expiring.authorizedKey(), expiring.idleTimeout(), expiring.maxLifetime(), expiring.orphanTimeout(),
                expiring.image(), expiring.instanceType(), false, false);
        Machine box = boxes.cloud.awaitRunning(boxes.launch(spec).id(), LocalBoxes.RUNNING,
                io.cgrender.core.ui.Progress.NONE);
        assertFalse(box.tags().containsKey(Tags.EXPIRES_AT), box.tags().toString());
        assertFalse(box.tags().containsKey(Tags.MAX_LIFETIME), box.tags().toString());
        assertTrue(BoxLifetime.of(box).noExpiry());

        ExecResult status = inBox(box, "cgrender-box status");
        assertTrue(status.stdout().contains("expiry:      no expiry: the idle timer alone ends the box"),
                status.stdout());
        ExecResult extend = inBox(box, "cgrender-box extend 1h");
        assertEquals(0, extend.exitCode(), extend.toString());
        assertEquals("box " + box.id() + " has no expiry: it ends itself when idle for 10m; nothing to extend\n",
                extend.stdout());
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> Instant.now().isAfter(box.launchedAt().plusSeconds(8))));
        assertEquals(MachineState.RUNNING, machine(box.id()).state(), "no max lifetime ends it");
    }
}
