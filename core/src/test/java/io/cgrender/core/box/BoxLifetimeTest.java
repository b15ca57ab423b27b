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
}
