package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.BoxIdentities;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAdoption;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Progress;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Adopting an existing instance as a box ({@code create ROLE --instance-id i-…}, awsRender's way of working): the
 * instance must exist in the region and belong to no other namespace; it is tagged into the namespace (a Name it
 * already has is kept), started if it is stopped, and is the user's box from then on. It gets no expiry and no
 * watchdog (its user data is its own). cgrender logs in as the login user ({@code --login-user}, else the role's) with
 * the user's own key ({@code --identity}, the PEM file of the key pair the instance was launched with) or else the
 * namespace's key, which must then be authorized there already (it is when the instance was launched with the
 * namespace's key pair); once in, the namespace's key is authorized for later sessions. Its first host key comes from
 * {@link Ec2HostKeySource}.
 */
final class Ec2Adoption implements MachineAdoption {

    private final Ec2Cloud cloud;

    Ec2Adoption(Ec2Cloud cloud) {
        this.cloud = cloud;
    }

    @Override
    public Machine adopt(String id, LaunchSpec spec, Duration timeout, Progress progress) {
        String region = cloud.aws().region().id();
        Instance instance = cloud.instance(id).orElseThrow(() -> new UsageException("no EC2 instance " + id + " in "
                + region + "; check the id and the region (--region)"));
        InstanceStateName state = instance.state().name();
        if (state == InstanceStateName.TERMINATED || state == InstanceStateName.SHUTTING_DOWN) {
            throw new UsageException("EC2 instance " + id + " is " + instance.state().nameAsString()
                    + "; only a live instance can be adopted");
        }
        Optional<String> namespace = Ec2Cloud.tagValue(instance, Tags.NAMESPACE);
        if (namespace.isPresent() && !namespace.get().equals(spec.namespace().toString())) {
            throw new UsageException("EC2 instance " + id + " belongs to namespace " + namespace.get() + ", not "
                    + spec.namespace() + "; use it from there (-n " + namespace.get() + ")");
        }
        Optional<String> role = Ec2Cloud.tagValue(instance, Tags.ROLE);
        if (role.isPresent() && !role.get().equals(spec.role())) {
            throw new UsageException("EC2 instance " + id + " is already a box of role " + role.get() + " in "
                    + spec.namespace() + ", not of " + spec.role());
        }
        String ourKey = NamespaceKeyPair.name(spec.namespace());
        boolean ownKey = BoxIdentities.commandIdentity(cloud.context().settings()).isPresent();
        if (!ownKey && (instance.keyName() == null || !instance.keyName().equals(ourKey))) {
            cloud.console().warn(id + " was launched with key pair " + (instance.keyName() == null ? "(none)"
                    : instance.keyName()) + ", not " + ourKey + ": cgrender logs in with the namespace's key, so its"
                    + " public half must be in ~" + spec.machine().adminUser() + "/.ssh/authorized_keys there: "
                    + spec.authorizedKey().strip() + " (or give the key the instance accepts with --identity FILE)");
        }
        Map<String, String> tags = new LinkedHashMap<>(spec.tags());
        tags.remove(Tags.EXPIRES_AT);
        if (Ec2Cloud.tagValue(instance, Tags.NAME).isPresent()) {
            tags.remove(Tags.NAME);
        }
        tags.put(Ec2Cloud.ADOPTED, "true");
        tags.putIfAbsent(Ec2Cloud.LAUNCHED_AT, Instant.now().toString());
        if (Ec2Cloud.tagValue(instance, Ec2Cloud.LAUNCHED_AT).isPresent()) {
            tags.remove(Ec2Cloud.LAUNCHED_AT);
        }
        cloud.aws().run("tagging EC2 instance " + id, () -> cloud.aws().ec2().createTags(r -> r.resources(id)
                .tags(Ec2Cloud.toTags(tags))));
        if (state == InstanceStateName.STOPPED || state == InstanceStateName.STOPPING) {
            cloud.console().status("starting stopped instance " + id);
            cloud.start(id, timeout, progress);
        }
        return cloud.toMachine(cloud.require(id));
    }

    @Override
    public void release(String id) {
        Optional<Instance> instance = cloud.instance(id);
        if (instance.isEmpty()) {
            return;
        }
        String ourName = Ec2Cloud.tagValue(instance.get(), Tags.NAMESPACE).orElse("")
                + Ec2Cloud.tagValue(instance.get(), Tags.ROLE).orElse("");
        List<Tag> ours = instance.get().tags().stream()
                .filter(t -> t.key().startsWith(Tags.PREFIX)
                        || (t.key().equals(Tags.NAME) && t.value().equals(ourName)))
                .map(t -> Tag.builder().key(t.key()).build())
                .toList();
        if (ours.isEmpty()) {
            return;
        }
        try {
            cloud.aws().ec2().deleteTags(r -> r.resources(id).tags(ours));
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidInstanceID.NotFound")) {
                throw cloud.aws().explain("removing cgrender's tags from " + id, e);
            }
        }
    }
}
