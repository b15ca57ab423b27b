package io.cgrender.core.step;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.CleanupIncompleteException;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepRunnerTest {

    /** Records runs and cleanups into the shared log. */
    private static final class Recording implements Step<List<String>> {
        final String name;
        final Runnable body;
        final boolean failCleanup;

        Recording(String name, Runnable body, boolean failCleanup) {
            this.name = name;
            this.body = body;
            this.failCleanup = failCleanup;
        }

        static Recording ok(String name) {
            return new Recording(name, () -> { }, false);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void run(List<String> log) {
            log.add("run " + name);
            body.run();
        }

        @Override
        public void cleanup(List<String> log, Outcome outcome) {
            log.add("cleanup " + name + " " + outcome);
            if (failCleanup) {
                throw new IllegalStateException("cannot clean " + name);
            }
        }

        @Override
        public List<String> leftovers(List<String> log) {
            return List.of("thing-" + name);
        }
    }

    private final StepRunner runner = new StepRunner(Console.silent(), false);

    @Test
    void successUnwindsEveryStepInReverseOrder() {
        List<String> log = new ArrayList<>();
        String result = runner.execute(r -> {
            r.run(log, List.of(Recording.ok("a"), Recording.ok("b"), Recording.ok("c")));
            return "done";
        });
        assertEquals("done", result);
        assertEquals(List.of("run a", "run b", "run c",
                "cleanup c SUCCEEDED", "cleanup b SUCCEEDED", "cleanup a SUCCEEDED"), log);
    }

    @Test
    void aFailingStepIsCleanedUpTooBecauseItWasPushedBeforeItRan() {
        List<String> log = new ArrayList<>();
        CgrenderException e = assertThrows(CgrenderException.class, () -> runner.execute(r -> {
            r.run(log, List.of(Recording.ok("a"),
                    new Recording("b", () -> { throw new CgrenderException("b broke"); }, false),
                    Recording.ok("c")));
            return null;
        }));
        assertEquals("b broke", e.getMessage());
        assertEquals(List.of("run a", "run b", "cleanup b FAILED", "cleanup a FAILED"), log);
    }

    @Test
    void aFailedCleanupDoesNotStopTheOthersAndIsReportedAsSuppressed() {
        List<String> log = new ArrayList<>();
        CleanupIncompleteException e = assertThrows(CleanupIncompleteException.class, () -> runner.execute(r -> {
            r.run(log, List.of(Recording.ok("a"), new Recording("b", () -> { }, true),
                    new Recording("c", () -> { throw new IllegalArgumentException("c broke"); }, false)));
            return null;
        }));
        assertEquals(List.of("run a", "run b", "run c", "cleanup c FAILED", "cleanup b FAILED", "cleanup a FAILED"),
                log);
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals(1, e.getSuppressed().length);
        assertTrue(e.getSuppressed()[0].getMessage().contains("cannot clean b"), e.getSuppressed()[0].getMessage());
        assertEquals(List.of("thing-b"), e.leftBehind());
        assertTrue(e.getMessage().contains("c broke") && e.getMessage().contains("thing-b"), e.getMessage());
    }

    @Test
    void aFailedCleanupAfterSuccessIsStillReported() {
        List<String> log = new ArrayList<>();
        CleanupIncompleteException e = assertThrows(CleanupIncompleteException.class, () -> runner.execute(r -> {
            r.run(log, List.of(new Recording("a", () -> { }, true)));
            return null;
        }));
        assertEquals(List.of("thing-a"), e.leftBehind());
    }

    @Test
    void keepOnErrorRunsNoCleanupAndNamesWhatItKept() {
        List<String> log = new ArrayList<>();
        StepRunner keeping = new StepRunner(Console.silent(), true);
        CleanupIncompleteException e = assertThrows(CleanupIncompleteException.class, () -> keeping.execute(r -> {
            r.run(log, List.of(Recording.ok("a"), new Recording("b", () -> { throw new CgrenderException("no"); },
                    false)));
            return null;
        }));
        assertEquals(List.of("run a", "run b"), log);
        assertEquals(List.of("thing-b", "thing-a"), e.leftBehind());
        assertTrue(e.getMessage().contains("kept on error"), e.getMessage());
    }

    @Test
    void cancelInterruptsTheRunningStepAndUnwindsAsCancelled() throws Exception {
        List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch blocking = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Step<List<String>> blocker = new Recording("wait", () -> {
            blocking.countDown();
            try {
                new CountDownLatch(1).await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new CgrenderException("interrupted while waiting", e);
            }
        }, false);
        Thread worker = new Thread(() -> {
            try {
                runner.execute(r -> {
                    r.run(log, List.of(Recording.ok("launch"), blocker, Recording.ok("never")));
                    return null;
                });
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        worker.start();
        assertTrue(blocking.await(10, TimeUnit.SECONDS));
        runner.cancel();
        worker.join(10_000);
        assertFalse(worker.isAlive());
        assertInstanceOf(CancelledException.class, thrown.get());
        assertEquals(List.of("run launch", "run wait", "cleanup wait CANCELLED", "cleanup launch CANCELLED"), log);
    }

    @Test
    void cleanupCanWaitEvenAfterTheStepWasInterrupted() {
        AtomicReference<Boolean> interruptedDuringCleanup = new AtomicReference<>();
        Step<Object> step = new Step<>() {
            @Override
            public String name() {
                return "s";
            }

            @Override
            public void run(Object ctx) {
                runner.cancel();
                Thread.currentThread().interrupt();
                throw new CgrenderException("interrupted");
            }

            @Override
            public void cleanup(Object ctx, Outcome outcome) {
                interruptedDuringCleanup.set(Thread.currentThread().isInterrupted());
            }
        };
        Object ctx = new Object();
        assertThrows(CancelledException.class, () -> runner.execute(r -> {
            r.run(ctx, List.of(step));
            return null;
        }));
        assertSame(Boolean.FALSE, interruptedDuringCleanup.get());
    }
}
