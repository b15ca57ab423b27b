package io.cgrender.core.claim;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.os.MachineId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoleClaimsTest {

    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private static final Duration LEASE = Duration.ofMinutes(2);
    private static final String ELSEWHERE = "0123456789ab";

    /** A lease of a cgrender on another machine, valid until {@code until}. */
    private static String theirLease(Instant until) {
        return new Lease(new Holder(ELSEWHERE, 42, NOW.minus(Duration.ofHours(1))), until).tagValue();
    }

    private static Machine box(String id, Tags.Stage stage, String lease, Instant launchedAt, MachineState state) {
        Map<String, String> tags = new HashMap<>();
        tags.put(Tags.STAGE, stage.tagValue());
        if (lease != null) {
            tags.put(Tags.LEASE, lease);
        }
        return new Machine(id, state, tags, launchedAt, Optional.empty());
    }

    private static Machine working(String id, Tags.Stage stage, Instant launchedAt) {
        return box(id, stage, theirLease(NOW.plusSeconds(60)), launchedAt, MachineState.RUNNING);
    }

    private static RoleClaims claims(Machine... boxes) {
        return new RoleClaims(List.of(boxes), NOW, MachineId.current(), LEASE);
    }

    @Test
    void eachBoxIsReadyInProgressOrphanFailedOrUnknown() {
        Machine ready = box("i-ready", Tags.Stage.READY, "", NOW.minusSeconds(600), MachineState.RUNNING);
        Machine settingUp = working("i-setup", Tags.Stage.SETTING_UP, NOW.minusSeconds(30));
        Machine lapsed = box("i-lapsed", Tags.Stage.SETTING_UP, theirLease(NOW.minusSeconds(1)), NOW.minusSeconds(500),
                MachineState.RUNNING);
        Machine noLeaseOld = box("i-old", Tags.Stage.LAUNCHING, null, NOW.minus(LEASE), MachineState.PENDING);
        Machine noLeaseNew = box("i-new", Tags.Stage.LAUNCHING, null, NOW.minusSeconds(5), MachineState.PENDING);
        Machine failing = working("i-failing", Tags.Stage.FAILED, NOW.minusSeconds(100));
        Machine stageless = new Machine("i-other", MachineState.RUNNING, Map.of(), NOW, Optional.empty());

        RoleClaims claims = claims(ready, settingUp, lapsed, noLeaseOld, noLeaseNew, failing, stageless);

        Map<String, BoxClaim.Status> status = new HashMap<>();
        claims.all().forEach(c -> status.put(c.id(), c.status()));
        assertEquals(Map.of("i-ready", BoxClaim.Status.READY, "i-setup", BoxClaim.Status.IN_PROGRESS,
                "i-lapsed", BoxClaim.Status.ORPHAN, "i-old", BoxClaim.Status.ORPHAN,
                "i-new", BoxClaim.Status.IN_PROGRESS, "i-failing", BoxClaim.Status.FAILED,
                "i-other", BoxClaim.Status.UNKNOWN), status);
        assertEquals(List.of("i-lapsed", "i-old"), claims.orphans().stream().map(BoxClaim::id).toList());
        assertEquals(Optional.of("setting-up since " + NOW.minusSeconds(500) + ": the lease of its creator, a cgrender"
                + " on machine 0123456789ab, lapsed at " + NOW.minusSeconds(1)), claims.orphans().get(0).orphanReason());
        assertEquals(Optional.of("launching since " + NOW.minus(LEASE) + ": nobody holds a lease on it"),
                claims.orphans().get(1).orphanReason());
        assertEquals(List.of("i-setup", "i-new"), claims.inProgress().stream().map(BoxClaim::id).toList());
        assertEquals(List.of("i-ready"), claims.reusable(Optional.empty()).stream().map(Machine::id).toList());
    }

    @Test
    void onlyAnOrphanLeftImagingIsTakenOverTheRestIsReplaced() {
        Instant gone = NOW.minusSeconds(1);
        RoleClaims claims = claims(
                box("i-a", Tags.Stage.IMAGING, theirLease(gone), NOW.minusSeconds(900), MachineState.RUNNING),
                box("i-b", Tags.Stage.SETTING_UP, theirLease(gone), NOW.minusSeconds(800), MachineState.RUNNING),
                box("i-c", Tags.Stage.LAUNCHING, theirLease(gone), NOW.minusSeconds(700), MachineState.PENDING),
                box("i-d", Tags.Stage.FAILED, theirLease(gone), NOW.minusSeconds(600), MachineState.RUNNING));
        assertEquals(List.of(true, false, false, false), claims.orphans().stream().map(BoxClaim::resumable).toList());
    }

    @Test
    void anAdoptedOrphanIsMarkedSoThatItIsHandedBackRatherThanEnded() {
        Machine adopted = box("i-mine", Tags.Stage.SETTING_UP, theirLease(NOW.minusSeconds(1)), NOW.minusSeconds(60),
                MachineState.RUNNING);
        Map<String, String> tags = new HashMap<>(adopted.tags());
        tags.put(Tags.ADOPTED, "true");
        BoxClaim orphan = claims(new Machine("i-mine", MachineState.RUNNING, tags, NOW.minusSeconds(60),
                Optional.empty())).orphans().get(0);
        assertTrue(orphan.adopted());
        assertFalse(claims(adopted).orphans().get(0).adopted());
    }

    @Test
    void theOldestLiveClaimWinsAndNeverGivesWay() {
        Machine older = working("i-b", Tags.Stage.SETTING_UP, NOW.minusSeconds(20));
        Machine mine = working("i-c", Tags.Stage.LAUNCHING, NOW.minusSeconds(10));
        Machine younger = working("i-a", Tags.Stage.LAUNCHING, NOW.minusSeconds(5));
        RoleClaims claims = claims(younger, mine, older);

        assertEquals(Optional.of(older), claims.winnerOver(mine));
        assertEquals(Optional.of(older), claims.winnerOver(younger));
        assertEquals(Optional.empty(), claims.winnerOver(older));
    }

    @Test
    void claimsOfTheSameInstantAreOrderedById() {
        Machine a = working("i-a", Tags.Stage.LAUNCHING, NOW);
        Machine b = working("i-b", Tags.Stage.LAUNCHING, NOW);
        RoleClaims claims = claims(b, a);
        assertEquals(Optional.of(a), claims.winnerOver(b));
        assertEquals(Optional.empty(), claims.winnerOver(a));
    }

    @Test
    void aReadyRunningBoxWinsOverEveryClaimAnOrphanOrAFailedBoxOverNone() {
        Machine mine = working("i-mine", Tags.Stage.LAUNCHING, NOW.minusSeconds(60));
        Machine readyYounger = box("i-ready", Tags.Stage.READY, "", NOW.minusSeconds(5), MachineState.RUNNING);
        assertEquals(Optional.of(readyYounger), claims(mine, readyYounger).winnerOver(mine));

        Machine readyStopped = box("i-stopped", Tags.Stage.READY, "", NOW.minusSeconds(900), MachineState.STOPPED);
        Machine orphan = box("i-orphan", Tags.Stage.SETTING_UP, theirLease(NOW.minusSeconds(1)), NOW.minusSeconds(900),
                MachineState.RUNNING);
        Machine failing = working("i-failing", Tags.Stage.FAILED, NOW.minusSeconds(900));
        assertEquals(Optional.empty(), claims(mine, readyStopped, orphan, failing).winnerOver(mine),
                "a stopped box would first have to start; an orphan and a failed box are on their way out");
    }

    @Test
    void theReusableBoxesComePrimaryFirstThenRunningThenOldest() {
        Machine oldStopped = box("i-1", Tags.Stage.READY, "", NOW.minusSeconds(900), MachineState.STOPPED);
        Machine oldRunning = box("i-2", Tags.Stage.READY, "", NOW.minusSeconds(800), MachineState.RUNNING);
        Machine newRunning = box("i-3", Tags.Stage.READY, "", NOW.minusSeconds(100), MachineState.RUNNING);
        Machine dead = box("i-4", Tags.Stage.READY, "", NOW.minusSeconds(1000), MachineState.DEAD);
        RoleClaims claims = claims(newRunning, dead, oldStopped, oldRunning);

        assertEquals(List.of("i-2", "i-3", "i-1"), claims.reusable(Optional.empty()).stream().map(Machine::id).toList());
        assertEquals(List.of("i-3", "i-2", "i-1"), claims.reusable(Optional.of("i-3")).stream().map(Machine::id)
                .toList());
        assertFalse(claims.reusable(Optional.empty()).contains(dead));
        assertTrue(claims.inProgress().isEmpty());
    }
}
