package io.cgrender.core.ui;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WaitTest {

    private static final Duration INTERVAL = Duration.ofMillis(200);

    @Test
    void pausesGrowWithJitterWhileThePollSaysBackOffUpToACap() {
        assertEquals(INTERVAL, Wait.pause(INTERVAL, 0), "no back-off: the interval");
        for (int backOffs = 1; backOffs <= 12; backOffs++) {
            long ceiling = Math.min(Wait.MAX_BACK_OFF.toMillis(), INTERVAL.toMillis() << backOffs);
            for (int i = 0; i < 50; i++) {
                long pause = Wait.pause(INTERVAL, backOffs).toMillis();
                assertTrue(pause >= INTERVAL.toMillis() && pause <= ceiling, backOffs + ": " + pause);
            }
        }
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pauses.add(Wait.pause(INTERVAL, 6).toMillis());
        }
        assertTrue(pauses.stream().distinct().count() > 1, "jittered: " + pauses);
        Duration slow = Wait.MAX_BACK_OFF.plusSeconds(5);
        assertEquals(slow, Wait.pause(slow, 3), "backing off never polls sooner than the interval");
    }

    @Test
    void aPollThatSaysBackOffIsAskedAgainUntilReady() {
        AtomicInteger polls = new AtomicInteger();
        String value = Wait.until("waiting for the test", Duration.ofSeconds(30), Duration.ofMillis(1),
                Progress.NONE, () -> polls.incrementAndGet() < 4 ? Wait.Poll.backOff("throttled")
                        : Wait.Poll.ready("done"));
        assertEquals("done", value);
        assertEquals(4, polls.get());
    }
}
