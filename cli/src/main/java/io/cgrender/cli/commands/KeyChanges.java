package io.cgrender.cli.commands;

import io.cgrender.cli.Session;
import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;

import java.util.Optional;

/** What register-key and remove-key do after changing the namespace's keys: tell the running boxes. */
final class KeyChanges {

    private KeyChanges() {
    }

    /**
     * Sends {@code sync-keys} to every running box of the namespace, whose agents then read the keys from the cloud
     * (never from the message), and says what that means for {@code change} (e.g. "alice's key is").
     */
    static void publish(Session session, String change) {
        Optional<BoxAgents> agents = session.cloud().agents();
        String namespace = session.namespace().toString();
        if (agents.isEmpty()) {
            session.console().status("the " + session.cloud().name() + " cloud has no box agents: " + change
                    + " in effect on boxes launched from now on");
            return;
        }
        long running = session.cloud().describe(MachineFilter.of(session.namespace())).stream()
                .filter(m -> m.state() == MachineState.RUNNING).count();
        agents.get().broadcast(AgentCommand.syncKeys());
        session.console().status(running == 0
                ? "no box of " + namespace + " is running: " + change + " in effect on boxes launched from now on"
                : change + " live on the " + running + " running box" + (running == 1 ? "" : "es") + " of "
                + namespace + " within a minute (sync-keys sent), and on boxes launched from now on");
    }
}
