package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Progress;
import io.cgrender.local.host.BoxDir;
import io.cgrender.local.host.BoxState;
import io.cgrender.local.host.Inbox;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The agents of a namespace's local boxes, reached through each box's {@link Inbox} (a directory the box host's
 * agent looks at four times a second). A ping is answered on the box's state: the agent writes the nonce into the tag
 * {@link Tags#AGENT_PONG}, which {@link #ping} reads back.
 */
final class LocalBoxAgents implements BoxAgents {

    private static final Duration PONG_POLL = Duration.ofMillis(50);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LocalCloud cloud;
    private final Namespace namespace;

    LocalBoxAgents(LocalCloud cloud, Namespace namespace) {
        this.cloud = cloud;
        this.namespace = namespace;
    }

    /** Posts {@code command} to every running box of the namespace; a box that went away meanwhile is skipped. */
    @Override
    public void broadcast(AgentCommand command) {
        for (Machine machine : cloud.describe(MachineFilter.of(namespace))) {
            if (machine.state() == MachineState.RUNNING) {
                try {
                    post(machine.id(), command);
                } catch (CgrenderException gone) {
                    // terminated or stopped since it was listed: a box that starts again syncs its keys as it starts
                }
            }
        }
    }

    @Override
    public void send(String boxId, AgentCommand command) {
        post(boxId, command);
    }

    @Override
    public Optional<Duration> ping(String boxId, Duration timeout, Progress progress) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        String nonce = HexFormat.of().formatHex(random);
        long start = System.nanoTime();
        post(boxId, AgentCommand.ping(nonce));
        long deadline = start + timeout.toNanos();
        String stage = "waiting for the agent of " + boxId + " to answer a ping";
        while (true) {
            Optional<Machine> machine = cloud.find(boxId);
            if (machine.isEmpty() || machine.get().state() != MachineState.RUNNING) {
                return Optional.empty();
            }
            String pong = machine.get().tags().getOrDefault(Tags.AGENT_PONG, "");
            long now = System.nanoTime();
            if (pong.startsWith(nonce + " ")) {
                return Optional.of(Duration.ofNanos(now - start));
            }
            if (now - deadline >= 0) {
                return Optional.empty();
            }
            progress.waiting(stage, Duration.ofNanos(now - start), timeout, "");
            try {
                Thread.sleep(PONG_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CgrenderException("interrupted while " + stage, e);
            }
        }
    }

    /** Writes {@code command} into the inbox of {@code boxId}, a running box of the namespace. */
    private void post(String boxId, AgentCommand command) {
        BoxDir box = cloud.requireBox(boxId);
        BoxState state = cloud.requireState(box);
        if (!state.namespace().equals(namespace.toString())) {
            throw new CgrenderException("no local box " + boxId + " in " + namespace).see("cgrender list");
        }
        MachineState observed = LocalCloud.observe(state);
        if (observed != MachineState.RUNNING) {
            throw new CgrenderException("local box " + boxId + " is " + observed.label()
                    + ": its agent runs only while the box runs").fix("cgrender start " + boxId);
        }
        try {
            new Inbox(box.inbox()).post(command);
        } catch (IOException e) {
            throw new CgrenderException("cannot send '" + command.line() + "' to local box " + boxId + ": "
                    + e.getMessage(), e);
        }
    }
}
