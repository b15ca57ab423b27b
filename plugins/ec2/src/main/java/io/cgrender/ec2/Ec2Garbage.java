package io.cgrender.ec2;

import io.cgrender.core.box.BoxLifetime;
import io.cgrender.core.claim.Orphans;
import io.cgrender.core.cloud.Garbage;
import io.cgrender.core.cloud.GarbageCollection;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Progress;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a namespace left behind on EC2, found by the namespace tag: boxes past their {@code cgrender:expires-at}
 * (their watchdog should have ended them: the instance was stopped, or its watchdog never ran), orphans (boxes whose
 * creator is gone while it was creating them; their watchdog ends them after the orphan timeout), images of roles that
 * no longer exist, the namespace's key pairs (never a registered key) and security groups that no remaining box uses,
 * the agent queues (and their subscriptions) of boxes that are gone, and its IAM role, instance profile and agents'
 * SNS topic once it has no box at all. Boxes come first in the list, so that removing in order frees what they
 * held. Results in S3 are never garbage: the bucket holds what the namespace rendered.
 */
final class Ec2Garbage implements GarbageCollection {

    static final String BOX = "box";
    static final String IMAGE = "image";
    static final String KEY_PAIR = "key pair";
    static final String SECURITY_GROUP = "security group";
    static final String INSTANCE_PROFILE = "instance profile";
    static final String AGENT_QUEUE = "agent queue";
    static final String AGENT_SUBSCRIPTION = "agent subscription";
    static final String AGENT_TOPIC = "agent topic";

    private final Ec2Cloud cloud;

    Ec2Garbage(Ec2Cloud cloud) {
        this.cloud = cloud;
    }

    @Override
    public List<Garbage> find(Namespace namespace, Set<String> knownRoles, Instant now) {
        List<Garbage> garbage = new ArrayList<>();
        Set<String> expired = new HashSet<>();
        List<Machine> boxes = cloud.describe(MachineFilter.of(namespace));
        for (Machine m : boxes) {
            String expiresAt = m.tags().get(Tags.EXPIRES_AT);
            // a kept box ends when someone on it releases it, not at its old expiry
            if (expiresAt != null && expiredBy(expiresAt, now) && !BoxLifetime.of(m).kept()) {
                expired.add(m.id());
                garbage.add(new Garbage(BOX, m.id(), "expired at " + expiresAt + " (" + m.role() + ", "
                        + m.state().label() + ")"));
            }
        }
        for (Garbage orphan : Orphans.asGarbage(boxes, now, cloud.context().settings(), BOX, expired)) {
            expired.add(orphan.id());
            garbage.add(orphan);
        }
        for (Image image : cloud.ec2Images().list(namespace, null)) {
            if (!knownRoles.contains(image.role())) {
                garbage.add(new Garbage(IMAGE, image.id(), "role '" + image.role() + "' is unknown (generation "
                        + image.generation() + ")"));
            }
        }
        List<Instance> live = liveInstances();
        List<Instance> users = live.stream().filter(i -> !expired.contains(i.instanceId())).toList();
        AwsClients aws = cloud.aws();
        Filter ours = Filter.builder().name("tag:" + Tags.NAMESPACE).values(namespace.toString()).build();
        for (KeyPairInfo key : aws.call("listing the key pairs of " + namespace,
                () -> aws.ec2().describeKeyPairs(r -> r.filters(ours)).keyPairs())) {
            if (key.tags().stream().anyMatch(t -> Tags.KEY_NAME.equals(t.key()))) {
                continue; // a registered key (cgrender register-key): no box launches with it, yet it is in use
            }
            if (users.stream().noneMatch(i -> key.keyName().equals(i.keyName()))) {
                garbage.add(new Garbage(KEY_PAIR, key.keyName(), unused(expired)));
            }
        }
        for (SecurityGroup group : aws.call("listing the security groups of " + namespace,
                () -> aws.ec2().describeSecurityGroupsPaginator(r -> r.filters(ours)).securityGroups().stream()
                        .toList())) {
            if (users.stream().noneMatch(i -> i.securityGroups().stream()
                    .anyMatch(g -> group.groupId().equals(g.groupId())))) {
                garbage.add(new Garbage(SECURITY_GROUP, group.groupId(), unused(expired) + " (" + group.groupName()
                        + ")"));
            }
        }
        agentLeftovers(garbage, namespace, live, boxes.stream().anyMatch(m -> !expired.contains(m.id())));
        BoxProfile profiles = new BoxProfile(aws, cloud.console(), cloud.settings().pollInterval());
        String profile = BoxProfile.name(namespace);
        boolean boxesLeft = boxes.stream().anyMatch(m -> !expired.contains(m.id()));
        if (!boxesLeft && profiles.exists(profile)) {
            garbage.add(new Garbage(INSTANCE_PROFILE, profile, (expired.isEmpty() ? "the namespace has no box"
                    : "the namespace has no box once the expired ones are gone") + " (IAM role and instance profile)"));
        }
        return garbage;
    }

    @Override
    public void remove(Garbage garbage) {
        var timeout = cloud.context().settings().timeout("state-change");
        switch (garbage.kind()) {
            case BOX -> cloud.terminate(garbage.id(), timeout, Progress.NONE);
            case Orphans.ADOPTED_BOX -> new Ec2Adoption(cloud).release(garbage.id());
            case IMAGE -> cloud.ec2Images().delete(garbage.id());
            case KEY_PAIR -> cloud.keyPairs().delete(garbage.id());
            case SECURITY_GROUP -> cloud.securityGroups().delete(garbage.id(), timeout);
            case INSTANCE_PROFILE -> new BoxProfile(cloud.aws(), cloud.console(), cloud.settings().pollInterval())
                    .delete(garbage.id());
            case AGENT_QUEUE -> cloud.ec2Agents().channel().delete(garbage.id(), java.util.Optional.empty());
            case AGENT_SUBSCRIPTION -> cloud.ec2Agents().channel().unsubscribe(garbage.id());
            case AGENT_TOPIC -> cloud.ec2Agents().channel().deleteTopic(cloud.ec2Agents().account());
            default -> throw new IllegalArgumentException("not EC2 garbage: " + garbage);
        }
    }

    /**
     * The agent queues (and subscriptions) of boxes that are gone, and the namespace's topic once it has no box. Not
     * looked for where boxes get no channel (presigned), nor where AWS refuses to list them.
     */
    private void agentLeftovers(List<Garbage> garbage, Namespace namespace, List<Instance> live, boolean boxesLeft) {
        Ec2Agents agents = cloud.ec2Agents();
        if (!agents.enabled()) {
            return;
        }
        Set<String> liveIds = new HashSet<>();
        live.forEach(i -> liveIds.add(i.instanceId()));
        try {
            String account = agents.account();
            for (AgentChannel.Leftover l : agents.channel().leftovers(liveIds, account)) {
                garbage.add(new Garbage(l.kind(), l.id(), l.why()));
            }
            if (!boxesLeft && agents.channel().topicExists(account)) {
                garbage.add(new Garbage(AGENT_TOPIC, AgentChannel.topicName(namespace), "the namespace has no box"
                        + " (SNS topic of the box agents)"));
            }
        } catch (io.cgrender.core.CgrenderException e) {
            if (!(e.getCause() instanceof software.amazon.awssdk.core.exception.SdkException sdk)
                    || !AwsErrors.is(sdk, "AccessDenied", "AccessDeniedException", "AuthorizationError")) {
                throw e;
            }
            cloud.console().verbose("not looking for agent queues: " + e.getMessage());
        }
    }

    /** Every instance of the account and region that is not terminated: any of them may use a key pair or group. */
    private List<Instance> liveInstances() {
        AwsClients aws = cloud.aws();
        return aws.call("listing instances", () -> aws.ec2().describeInstancesPaginator(r -> r.filters(
                        Filter.builder().name("instance-state-name")
                                .values("pending", "running", "shutting-down", "stopping", "stopped").build()))
                .reservations().stream().flatMap(r -> r.instances().stream()).toList());
    }

    private static String unused(Set<String> expired) {
        return expired.isEmpty() ? "no box uses it" : "no box uses it once the expired ones are gone";
    }

    private static boolean expiredBy(String expiresAt, Instant now) {
        try {
            return !now.isBefore(Instant.parse(expiresAt));
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
