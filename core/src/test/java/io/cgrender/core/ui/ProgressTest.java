package io.cgrender.core.ui;

import io.cgrender.core.CgrenderException;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {

    private final StringWriter err = new StringWriter();
    private final Progress progress = new Console(new PrintWriter(new StringWriter()), new PrintWriter(err), false)
            .progress();

    @Test
    void shortWaitsAreSilentLongOnesNameTheirStagePeriodically() {
        Duration timeout = Duration.ofSeconds(120);
        progress.waiting("waiting for l-1 to run", Duration.ofMillis(1900), timeout, "pending");
        assertEquals("", err.toString());
        progress.waiting("waiting for l-1 to run", Duration.ofMillis(2100), timeout, "pending");
        progress.waiting("waiting for l-1 to run", Duration.ofSeconds(5), timeout, "pending");
        progress.waiting("waiting for l-1 to run", Duration.ofSeconds(13), timeout, "still pending");
        String[] lines = err.toString().split("\n");
        assertEquals(2, lines.length, err.toString());
        assertEquals("… waiting for l-1 to run (2s; gives up after 2m): pending", lines[0]);
        assertEquals("… waiting for l-1 to run (13s; gives up after 2m): still pending", lines[1]);
    }

    @Test
    void waitReturnsTheValueOrTimesOutNamingTheStageAndTheLastObservation() {
        AtomicInteger polls = new AtomicInteger();
        String value = Wait.until("waiting for x", Duration.ofSeconds(5), Duration.ofMillis(1), Progress.NONE,
                () -> polls.incrementAndGet() < 3 ? Wait.Poll.notYet("n=" + polls.get()) : Wait.Poll.ready("done"));
        assertEquals("done", value);
        assertEquals(3, polls.get());
        CgrenderException e = assertThrows(CgrenderException.class, () -> Wait.until("waiting for y",
                Duration.ofMillis(50), Duration.ofMillis(5), Progress.NONE, () -> Wait.Poll.notYet("state pending")));
        assertTrue(e.getMessage().contains("waiting for y") && e.getMessage().contains("state pending"),
                e.getMessage());
    }
}
