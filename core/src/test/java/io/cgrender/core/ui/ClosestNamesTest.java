package io.cgrender.core.ui;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClosestNamesTest {

    @Test
    void distanceCountsSingleCharacterEdits() {
        assertEquals(0, ClosestNames.distance("size", "size"));
        assertEquals(1, ClosestNames.distance("sise", "size"));
        assertEquals(3, ClosestNames.distance("kitten", "sitting"));
        assertTrue(ClosestNames.distance("width", "size") > 2);
    }

    @Test
    void closeNamesComeClosestFirstAndFarOnesNot() {
        List<String> commands = List.of("list", "list-roles", "list-images", "show", "stop", "start", "logs");
        assertEquals(List.of("list"), ClosestNames.to("lsit", commands));
        assertEquals(List.of("stop", "show"), ClosestNames.to("STOP", List.of("show", "stop")), "case ignored");
        assertEquals(List.of(), ClosestNames.to("render", commands));
    }
}
