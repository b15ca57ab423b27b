package io.cgrender.core;

import io.cgrender.core.ui.Progress;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Another process for {@link LockFileTest}: takes the lock its argument names, says so, and holds it until killed. */
public final class HoldLockFile {

    private HoldLockFile() {
    }

    public static void main(String[] args) throws Exception {
        try (LockFile.Held held = LockFile.acquire(Path.of(args[0]), Duration.ofSeconds(30), Progress.NONE,
                Optional.of("testing"))) {
            System.out.println("held");
            System.out.flush();
            Thread.sleep(Duration.ofMinutes(10).toMillis());
        }
    }
}
