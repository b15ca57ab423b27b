package io.cgrender.core.claim;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The claim lock between real processes (fcntl) and between threads of one JVM. */
class ClaimLockTest {

    @TempDir
    Path dir;

    @Test
    void anotherProcessWaitsForTheHolderAndAKilledHolderLetsItGoAtOnce() throws Exception {
        Path file = dir.resolve("locks/r.lock");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), HoldClaimLock.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("held", out.readLine());

            ClaimLock lock = new ClaimLock(file);
            CgrenderException busy = assertThrows(CgrenderException.class,
                    () -> lock.acquire(Duration.ofMillis(300), Progress.NONE, "creating a box of r in /t/"));
            assertTrue(busy.getMessage().contains("waiting for another cgrender on this machine that is creating a box"
                    + " of r in /t/") && busy.getMessage().contains("held by pid " + holder.pid()), busy.getMessage());

            holder.destroyForcibly(); // SIGKILL: no cleanup of its own
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            try (ClaimLock.Held held = lock.acquire(Duration.ofSeconds(10), Progress.NONE, "creating")) {
                assertTrue(java.nio.file.Files.readString(file).strip().equals(
                        Long.toString(ProcessHandle.current().pid())));
            }
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void threadsOfOneJvmTakeTurns() throws Exception {
        ClaimLock lock = new ClaimLock(dir.resolve("r.lock"));
        CountDownLatch secondWaits = new CountDownLatch(1);
        CompletableFuture<Boolean> second;
        try (ClaimLock.Held first = lock.acquire(Duration.ofSeconds(5), Progress.NONE, "creating")) {
            second = CompletableFuture.supplyAsync(() -> {
                secondWaits.countDown();
                try (ClaimLock.Held held = new ClaimLock(dir.resolve("r.lock")).acquire(Duration.ofSeconds(20),
                        Progress.NONE, "creating")) {
                    return true;
                }
            });
            assertTrue(secondWaits.await(10, TimeUnit.SECONDS));
            assertThrows(java.util.concurrent.TimeoutException.class, () -> second.get(300, TimeUnit.MILLISECONDS));
            assertFalse(second.isDone());
        }
        assertTrue(second.get(20, TimeUnit.SECONDS));
    }
}
