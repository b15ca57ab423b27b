package io.cgrender.core.claim;

import io.cgrender.core.os.MachineId;
import io.cgrender.core.os.ProcessIdentity;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeaseTest {

    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private static final String HERE = MachineId.current();

    @Test
    void aLeaseSurvivesItsTagValue() {
        Lease lease = Lease.ofSelf(NOW, Duration.ofMinutes(2));
        assertEquals(Optional.of(lease), Lease.parse(lease.tagValue()));
        assertTrue(lease.tagValue().matches("2026-12-04T12:02:00Z [0-9a-f]{12}/\\d+/\\d+"), lease.tagValue());
        assertEquals(HERE, lease.holder().machine());
        assertEquals(ProcessHandle.current().pid(), lease.holder().pid());
    }

    @Test
    void aMissingReleasedOrUnreadableTagHoldsNoLease() {
        for (String value : new String[] {null, "", "  ", "soon", "2026-12-04T12:00:00Z", "yesterday abc/1/2",
                "2026-12-04T12:00:00Z ABC/1/2", "2026-12-04T12:00:00Z abc/x/2", "2026-12-04T12:00:00Z abc/1"}) {
            assertEquals(Optional.empty(), Lease.parse(value), String.valueOf(value));
        }
    }

    @Test
    void onItsHoldersMachineALeaseHoldsWhileTheHolderLivesWhateverTheTime() {
        Lease mine = Lease.ofSelf(NOW.minus(Duration.ofHours(1)), Duration.ofMinutes(2));
        assertEquals(Optional.empty(), mine.lapse(NOW, HERE), "a suspended holder renews when it resumes");
    }

    @Test
    void onItsHoldersMachineALeaseLapsesAsSoonAsTheHolderIsGone() throws Exception {
        Process gone = new ProcessBuilder("sleep", "60").start();
        ProcessIdentity identity = ProcessIdentity.of(gone.toHandle()).orElseThrow(); // alive: it has a start time
        gone.destroy();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        Lease lease = new Lease(new Holder(HERE, identity.pid(), identity.startedAt()), NOW.plus(Duration.ofHours(1)));
        Optional<String> lapse = lease.lapse(NOW, HERE);
        assertTrue(lapse.isPresent());
        assertEquals("its creator, pid " + identity.pid() + " on this machine, is gone", lapse.get());
    }

    @Test
    void aPidTakenByAnotherProcessIsNotTheHolder() {
        ProcessIdentity me = ProcessIdentity.current();
        Lease lease = new Lease(new Holder(HERE, me.pid(), me.startedAt().minus(Duration.ofHours(3))),
                NOW.plus(Duration.ofHours(1)));
        assertTrue(lease.lapse(NOW, HERE).isPresent(), "same pid, other start time: the holder is gone");
    }

    @Test
    void elsewhereOnlyTheTimeCounts() {
        Lease theirs = new Lease(new Holder("0123456789ab", 1, NOW.minus(Duration.ofDays(1))),
                NOW.plus(Duration.ofMinutes(1)));
        assertEquals(Optional.empty(), theirs.lapse(NOW, HERE));
        assertEquals(Optional.empty(), theirs.lapse(NOW.plus(Duration.ofSeconds(59)), HERE));
        Optional<String> lapse = theirs.lapse(NOW.plus(Duration.ofMinutes(1)), HERE);
        assertEquals(Optional.of("the lease of its creator, a cgrender on machine 0123456789ab, lapsed at "
                + "2026-12-04T12:01:00Z"), lapse);
        assertFalse(theirs.sameHolder(Lease.ofSelf(NOW, Duration.ofMinutes(1))));
    }
}
