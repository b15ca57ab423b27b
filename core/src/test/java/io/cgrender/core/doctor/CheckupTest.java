package io.cgrender.core.doctor;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A check can neither stop nor hang {@code cgrender doctor}: what it throws, and taking too long, are failures. */
class CheckupTest {

    private final StringWriter err = new StringWriter();
    private final Console console = new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true), false);

    @Test
    void whatACheckFindsIsItsFinding() {
        Checkup.Finding f = Checkup.run(Check.of("fine", () -> CheckResult.ok("all there")), console);
        assertEquals(new Checkup.Finding("fine", CheckResult.ok("all there")), f);
    }

    @Test
    void aFailureItThrowsIsAFailureWithItsFixOrWhereToRead() {
        CheckResult fixed = Checkup.run(Check.of("key", () -> {
            throw new CgrenderException("the key is loose").fix("chmod 600 key");
        }), console).result();
        assertEquals(CheckResult.fail("the key is loose", "chmod 600 key"), fixed);
        CheckResult read = Checkup.run(Check.of("aws", () -> {
            throw new CgrenderException("refused").see("README.md#aws-permissions");
        }), console).result();
        assertEquals("README.md#aws-permissions", read.see().orElseThrow());
        CheckResult unexpected = Checkup.run(Check.of("bug", () -> {
            throw new IllegalStateException("oops");
        }), console).result();
        assertTrue(unexpected.failed() && unexpected.detail().startsWith("unexpected IllegalStateException: oops"),
                unexpected.toString());
    }

    @Test
    void aCheckThatHangsFailsAfterItsTimeoutAndIsInterrupted() throws InterruptedException {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        Check hanging = new Check() {
            @Override
            public String name() {
                return "hangs";
            }

            @Override
            public CheckResult run() {
                try {
                    never.await();
                    return CheckResult.ok("never");
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw new CgrenderException("interrupted");
                }
            }

            @Override
            public Duration timeout() {
                return Duration.ofSeconds(4);
            }
        };
        long start = System.nanoTime();
        CheckResult r = Checkup.run(hanging, console).result();
        long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertEquals(CheckResult.fail("no answer within 4s", "check the network, then run: cgrender doctor"), r);
        assertTrue(took >= 4000 && took < 12_000, took + " ms");
        assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the check's thread is interrupted");
        assertTrue(err.toString().startsWith("… checking hangs (") && err.toString().contains("; gives up after 4s)"),
                "a wait over 2s says so: " + err);
    }
}
