package io.cgrender.core.agent;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Progress;

import java.time.Duration;
import java.util.Optional;

/**
 * Reaching the agents of a namespace's boxes with no SSH session: each box runs an agent that waits for commands on a
 * channel of its cloud (EC2: its own SQS queue, subscribed to the namespace's SNS topic; local: a channel of the box
 * host) and answers pings.
 */
public interface BoxAgents {

    /** Sends {@code command} to every running box of the namespace (e.g. {@code sync-keys} after a key change). */
    void broadcast(AgentCommand command);

    /** Sends {@code command} to one box. */
    void send(String boxId, AgentCommand command);

    /** Pings the agent of {@code boxId}: the round trip, or empty when no answer came within {@code timeout}. */
    Optional<Duration> ping(String boxId, Duration timeout, Progress progress);

    /**
     * Installs the agent on a box being set up, over its verified SSH session, before the role's own setup; a box
     * launched from an image has it already. Nothing to do where the cloud runs the agent itself (the local box host).
     */
    default void install(Machine machine, RemoteHost host, Duration timeout) {
    }
}
