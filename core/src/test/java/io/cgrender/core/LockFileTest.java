package io.cgrender.core;

import io.cgrender.core.ui.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.Optional;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.io.InputStreamReader;
import java.io.BufferedReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LockFileTest {

    @TempDir
    Path tmp;

    @Test
    void holdersTakeTurns() throws Exception {
        Path lock = tmp.resolve("x.lock");
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Object>> done = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                done.add(pool.submit(() -> {
                    for (int round = 0; round < 25; round++) {
                        LockFile.holding(lock, Duration.ofSeconds(30), Progress.NONE, () -> {
                            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            Thread.yield();
                            inside.decrementAndGet();
                            return null;
                        });
                    }
                    return null;
                }));
            }
            for (Future<Object> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, most.get(), "never two holders at once");
    }

    @Test
    void aLockHeldTooLongIsAOneLineErrorNamingIt() throws Exception {
        Path lock = tmp.resolve("key.lock");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try {
                LockFile.holding(lock, Duration.ofSeconds(30), Progress.NONE, () -> {
                    held.countDown();
                    awaitQuietly(release);
                    return null;
                });
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        holder.start();
        try {
            assertTrue(held.await(30, TimeUnit.SECONDS));
            CgrenderException e = assertThrows(CgrenderException.class, () -> LockFile.holding(lock,
                    Duration.ofSeconds(1), Progress.NONE, () -> null));
            assertEquals("timed out after 1s waiting for " + lock + ", which another cgrender process holds (end it"
                    + " if it hangs) (last seen: held by another thread)", e.getMessage());
        } finally {
            release.countDown();
            holder.join(30_000);
        }
        assertEquals("free again", LockFile.holding(lock, Duration.ofSeconds(5), Progress.NONE, () -> "free again"));
    }

    @Test
    void anotherProcessWaitsNamingTheHolderAndAKilledHolderLetsItGoAtOnce() throws Exception {
        Path lock = tmp.resolve("claims/r.lock");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), HoldLockFile.class.getName(), lock.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("held", out.readLine());
            CgrenderException busy = assertThrows(CgrenderException.class, () -> LockFile.acquire(lock,
                    Duration.ofMillis(300), Progress.NONE, Optional.of("creating a box of r in /t/")));
            assertEquals("timed out after 0s waiting for another cgrender on this machine that is creating a box of r"
                    + " in /t/ (last seen: held by pid " + holder.pid() + ")", busy.getMessage());

            holder.destroyForcibly(); // SIGKILL: the kernel releases its lock
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            try (LockFile.Held held = LockFile.acquire(lock, Duration.ofSeconds(10), Progress.NONE,
                    Optional.empty())) {
                assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(lock));
            }
            assertEquals("", Files.readString(lock), "a released lock names nobody");
        } finally {
            holder.destroyForcibly();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
