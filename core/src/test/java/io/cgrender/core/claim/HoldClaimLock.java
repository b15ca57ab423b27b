package io.cgrender.core.claim;

import io.cgrender.core.ui.Progress;

import java.nio.file.Path;
import java.time.Duration;

/** Another process for {@link ClaimLockTest}: takes the lock named by its argument, says so, and holds it until killed. */
public final class HoldClaimLock {

    private HoldClaimLock() {
    }

    public static void main(String[] args) throws Exception {
        ClaimLock.Held held = new ClaimLock(Path.of(args[0])).acquire(Duration.ofSeconds(30), Progress.NONE, "test");
        System.out.println("held");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(10).toMillis());
        held.close();
    }
}
