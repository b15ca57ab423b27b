package io.cgrender.ec2;

import io.cgrender.core.step.Outcome;
import io.cgrender.core.step.Step;

import java.util.List;

/**
 * The launch step after the instance id exists: the box's agent channel ({@link Ec2Agents#open}), its queue recorded
 * the moment it exists. On a failed launch the queue and its subscription are removed before the instance is
 * terminated (the steps unwind in reverse order).
 */
final class AgentChannelStep implements Step<Ec2Launch> {

    private final Ec2Agents agents;
    private final AgentChannel.Queue made = new AgentChannel.Queue();

    AgentChannelStep(Ec2Agents agents) {
        this.agents = agents;
    }

    @Override
    public String name() {
        return "agent channel";
    }

    @Override
    public void run(Ec2Launch l) {
        agents.open(l.instance(), made);
    }

    @Override
    public void cleanup(Ec2Launch l, Outcome outcome) {
        if (outcome.succeeded() || made.url == null) {
            return;
        }
        agents.channel().delete(made.url, java.util.Optional.ofNullable(made.subscription));
    }

    @Override
    public List<String> leftovers(Ec2Launch l) {
        return made.url == null ? List.of() : List.of("SQS queue " + made.url);
    }
}
