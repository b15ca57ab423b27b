package io.cgrender.core.agent;

import io.cgrender.core.UsageException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AgentCommandTest {

    @Test
    void everyCommandIsOneLineThatParsesBackToItself() {
        for (AgentCommand command : List.of(AgentCommand.syncKeys(), AgentCommand.ping("abc-123"),
                AgentCommand.extend(Duration.ofMinutes(90)), AgentCommand.keep(), AgentCommand.release(),
                AgentCommand.stop(), AgentCommand.terminate())) {
            assertEquals(Optional.of(command), AgentCommand.parse(command.line()), command.line());
        }
        assertEquals("extend PT1H30M", AgentCommand.extend(Duration.ofMinutes(90)).line());
        assertEquals("keep", AgentCommand.keep().line());
        assertEquals("release", AgentCommand.release().line());
    }

    @Test
    void anythingElseIsNoCommand() {
        for (String line : List.of("keep now", "release all", "extend", "extend soon", "extend PT0S", "extend -PT1H",
                "kept", "keep\nsync-keys", "")) {
            assertEquals(Optional.empty(), AgentCommand.parse(line), line);
        }
        assertThrows(UsageException.class, () -> AgentCommand.extend(Duration.ofMillis(500)), "whole seconds");
        assertEquals("extend PT1S", AgentCommand.extend(Duration.ofMillis(1500)).line());
    }
}
