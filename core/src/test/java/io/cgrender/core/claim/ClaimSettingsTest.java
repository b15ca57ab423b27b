package io.cgrender.core.claim;

import io.cgrender.core.UsageException;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClaimSettingsTest {

    @TempDir
    Path home;

    private Settings load(String conf) throws IOException {
        Path file = Files.writeString(home.resolve("claims.conf"), conf);
        return Settings.load(Dirs.from(Map.of(), home), Optional.of(file), Map.of(), Map.of());
    }

    @Test
    void theDefaultsRenewFourTimesPerLeaseAndTheCloudGivesTheSettleTime() throws IOException {
        ClaimSettings claims = ClaimSettings.from(load(""), Duration.ofSeconds(30));
        assertEquals(new ClaimSettings(Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ofMinutes(45),
                Duration.ofSeconds(30)), claims);
    }

    @Test
    void aLeaseRenewedNoSoonerThanItLapsesIsRefusedWithWhereItWasSet() throws IOException {
        UsageException e = assertThrows(UsageException.class,
                () -> ClaimSettings.from(load("cgrender.claims.renew-every = 5m\n"), Duration.ZERO));
        assertEquals("bad configuration: cgrender.claims.renew-every (5m) must be shorter than cgrender.claims.lease"
                + " (2m), or a creator's lease lapses before it is renewed (" + home.resolve("claims.conf") + ": 1)",
                e.getMessage());
    }
}
