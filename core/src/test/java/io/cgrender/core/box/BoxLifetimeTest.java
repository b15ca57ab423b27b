package io.cgrender.core.box;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoxLifetimeTest {

    private static final Instant EXPIRES = Instant.parse("2030-01-01T08:00:00Z");

    private static BoxLifetime of(String idleTimeout, String idleSince) {
        Map<String, String> tags = new HashMap<>(Map.of(Tags.EXPIRES_AT, EXPIRES.toString()));
        if (idleTimeout != null) {
            tags.put(Tags.IDLE_TIMEOUT, idleTimeout);
        }
        if (idleSince != null) {
            tags.put(Tags.IDLE_SINCE, idleSince);
        }
        return BoxLifetime.of(new Machine("l-1", MachineState.RUNNING, tags, EXPIRES.minus(Duration.ofHours(8)),
                Optional.empty()));
    }

    @Test
    void anIdleBoxEndsAtTheSoonerOfItsIdleTimeoutAndItsExpiry() {
        BoxLifetime idle = of("PT30M", "2030-01-01T01:00:00Z");
        assertEquals(BoxLifetime.Idle.IDLE, idle.idle());
        assertEquals(Optional.of(new BoxLifetime.Ending(Instant.parse("2030-01-01T01:30:00Z"),
                BoxLifetime.Limit.IDLE_TIMEOUT)), idle.next());

        BoxLifetime idleNearItsEnd = of("PT30M", "2030-01-01T07:45:00Z");
        assertEquals(Optional.of(new BoxLifetime.Ending(EXPIRES, BoxLifetime.Limit.MAX_LIFETIME)),
                idleNearItsEnd.next());
    }

    @Test
    void aBusyOrSilentBoxEndsAtItsExpiryAtTheLatest() {
        BoxLifetime busy = of("PT30M", Tags.BUSY);
        assertEquals(BoxLifetime.Idle.BUSY, busy.idle());
        assertEquals(Optional.empty(), busy.idleEndsAt());
        assertEquals(Optional.of(new BoxLifetime.Ending(EXPIRES, BoxLifetime.Limit.MAX_LIFETIME)), busy.next());

        BoxLifetime silent = of("PT30M", null);
        assertEquals(BoxLifetime.Idle.UNREPORTED, silent.idle());
        assertEquals(Optional.of(Duration.ofMinutes(30)), silent.idleTimeout());
        assertEquals(Optional.of(new BoxLifetime.Ending(EXPIRES, BoxLifetime.Limit.MAX_LIFETIME)), silent.next());
    }

    @Test
    void tagsThatDoNotParseAreUnknownNotGuessed() {
        BoxLifetime garbled = of("thirty minutes", "yesterday");
        assertEquals(Optional.empty(), garbled.idleTimeout());
        assertEquals(BoxLifetime.Idle.UNREPORTED, garbled.idle());
        assertEquals(Optional.of(new BoxLifetime.Ending(EXPIRES, BoxLifetime.Limit.MAX_LIFETIME)), garbled.next());
    }

    private static BoxLifetime with(Map<String, String> extra) {
        Map<String, String> tags = new HashMap<>(Map.of(Tags.EXPIRES_AT, EXPIRES.toString(), Tags.IDLE_TIMEOUT,
                "PT30M", Tags.IDLE_SINCE, "2030-01-01T01:00:00Z", Tags.MAX_LIFETIME, "PT8H"));
        tags.putAll(extra);
        tags.values().removeIf(v -> v == null);
        return BoxLifetime.of(new Machine("l-1", MachineState.RUNNING, tags, EXPIRES.minus(Duration.ofHours(8)),
                Optional.empty()));
    }

    @Test
    void aKeptBoxEndsItselfNeverAndIsNotExpiredItsOldExpiryKept() {
        BoxLifetime kept = with(Map.of(Tags.KEPT, "2030-01-01T02:00:00Z"));
        assertTrue(kept.kept());
        assertEquals(Optional.of(Instant.parse("2030-01-01T02:00:00Z")), kept.keptSince());
        assertEquals(Optional.empty(), kept.next());
        assertEquals(Optional.empty(), kept.idleEndsAt());
        assertFalse(kept.expired(EXPIRES.plus(Duration.ofDays(3))));
        assertEquals(Optional.of(EXPIRES), kept.expiresAt(), "the expiry before the keep stays");

        BoxLifetime released = with(Map.of(Tags.KEPT, ""));
        assertFalse(released.kept());
        assertTrue(released.expired(EXPIRES));
        assertTrue(with(Map.of(Tags.KEPT, "since lunch")).kept(), "a garbled keep is a keep all the same");
    }

    @Test
    void anExtensionReachesAtMostTheMaxLifetimeFromNowAndNeverMovesTheExpirySooner() {
        BoxLifetime box = with(Map.of());
        Instant early = EXPIRES.minus(Duration.ofHours(7));
        assertEquals(Optional.of(EXPIRES.plus(Duration.ofHours(1))), box.extendedBy(Duration.ofHours(1),
                EXPIRES.minus(Duration.ofHours(1))));
        assertEquals(Optional.of(early.plus(Duration.ofHours(8))), box.extendedBy(Duration.ofHours(5), early),
                "capped");
        assertEquals(Optional.of(EXPIRES), box.extendedBy(Duration.ofHours(5), EXPIRES.minus(Duration.ofHours(9))),
                "never sooner");
        assertEquals(Optional.of(Duration.ofHours(8)), box.maxLifetime());
    }

    @Test
    void aBoxWithNoExpiryEndsByItsIdleTimerAloneAndAnAdoptedOneIsUnknown() {
        Map<String, String> none = new HashMap<>();
        none.put(Tags.EXPIRES_AT, null);
        none.put(Tags.MAX_LIFETIME, null);
        BoxLifetime noExpiry = with(none);
        assertTrue(noExpiry.noExpiry());
        assertFalse(noExpiry.expired(EXPIRES.plus(Duration.ofDays(300))));
        assertEquals(Optional.of(new BoxLifetime.Ending(Instant.parse("2030-01-01T01:30:00Z"),
                BoxLifetime.Limit.IDLE_TIMEOUT)), noExpiry.next());
        assertEquals(Optional.empty(), noExpiry.extendedBy(Duration.ofHours(1), EXPIRES));

        BoxLifetime adopted = BoxLifetime.of(new Machine("i-1", MachineState.RUNNING, Map.of(), EXPIRES,
                Optional.empty()));
        assertFalse(adopted.noExpiry(), "an adopted box tells nothing of its end");
    }
}
