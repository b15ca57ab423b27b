package io.cgrender.core.ui;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DurationsTest {

    @Test
    void durationsAreGivenAsPeopleWriteThemOrInIso() {
        Map<String, Duration> given = Map.of("2h", Duration.ofHours(2), "90m", Duration.ofMinutes(90),
                "1h30m", Duration.ofMinutes(90), "45s", Duration.ofSeconds(45), "1d12h", Duration.ofHours(36),
                "PT2H", Duration.ofHours(2), "pt1h30m", Duration.ofMinutes(90), "P1DT2H", Duration.ofHours(26),
                " 2H ", Duration.ofHours(2));
        given.forEach((text, d) -> assertEquals(Optional.of(d), Durations.parse(text), text));
        for (String bad : List.of("", "soon", "2", "h", "2x", "1h30", "30m1h", "PT", "P", "PT0.5S", "2 h")) {
            assertEquals(Optional.empty(), Durations.parse(bad), bad);
        }
    }

    @Test
    void aDurationThatMustBePositiveIsRefusedAsBadInputWithHowToGiveOne() {
        assertEquals(Duration.ofHours(2), Durations.parsePositive("2h", "--lifetime"));
        CgrenderException bad = assertThrows(UsageException.class, () -> Durations.parsePositive("soon",
                "--lifetime"));
        assertEquals("'soon' is not a duration (--lifetime)", bad.getMessage());
        assertEquals(Optional.of("fix: give it as hours, minutes and seconds, e.g. 2h, 90m, 1h30m, 1d or ISO-8601"
                + " PT2H"), bad.hint());
        assertThrows(UsageException.class, () -> Durations.parsePositive("0m", "--lifetime"));
        assertThrows(UsageException.class, () -> Durations.parsePositive("-PT2H", "--lifetime"));
    }
}
