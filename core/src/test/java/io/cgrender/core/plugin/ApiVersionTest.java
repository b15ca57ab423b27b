package io.cgrender.core.plugin;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiVersionTest {

    @Test
    void parsesMajorAndMajorMinor() {
        assertEquals(Optional.of(new ApiVersion(1, 0)), ApiVersion.parse("1"));
        assertEquals(Optional.of(new ApiVersion(1, 2)), ApiVersion.parse(" 1.2 "));
        assertEquals(Optional.empty(), ApiVersion.parse("1.2.3"));
        assertEquals(Optional.empty(), ApiVersion.parse("one"));
        assertEquals("1.2", new ApiVersion(1, 2).toString());
    }

    @Test
    void aPluginRunsOnTheSameMajorWithAnEqualOrNewerMinor() {
        ApiVersion supported = new ApiVersion(1, 3);
        assertTrue(new ApiVersion(1, 0).runsOn(supported));
        assertTrue(new ApiVersion(1, 3).runsOn(supported));
        assertFalse(new ApiVersion(1, 4).runsOn(supported), "needs something this cgrender does not have");
        assertFalse(new ApiVersion(0, 9).runsOn(supported), "an older major version");
        assertFalse(new ApiVersion(2, 0).runsOn(supported), "a newer major version");
    }
}
