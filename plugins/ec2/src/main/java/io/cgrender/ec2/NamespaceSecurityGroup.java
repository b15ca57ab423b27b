package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Wait;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The namespace's security group, {@code cgrender_<encoded namespace>}, in the VPC the boxes run in: SSH (TCP on the
 * SSH port) from the configured CIDRs or this machine's public address, nothing else ({@link SshRules}). Shared by
 * every box of the namespace; a missing rule (say, the caller's address changed) is added to it, and a group of that
 * name that allows more is refused. Clients making it at the same moment all succeed: EC2 takes one create, the others
 * find that group (waiting while EC2 does not show it yet), and each adds its own rules one by one, so a rule another
 * client added at once never stops this one's.
 */
final class NamespaceSecurityGroup {

    private final AwsClients aws;
    private final Ec2Settings settings;
    private final Console console;
    private final CallerAddress caller;
    private final SshRules rules;

    NamespaceSecurityGroup(AwsClients aws, Ec2Settings settings, Console console) {
        this.aws = aws;
        this.settings = settings;
        this.console = console;
        this.caller = new CallerAddress(settings.publicIpUrl(), settings.connectTimeout().plusSeconds(5));
        this.rules = new SshRules(aws, settings, console);
    }

    static String name(Namespace namespace) {
        return "cgrender" + namespace.encoded();
    }

    /** What {@link #ensure} found or made. */
    record Ensured(String groupId, boolean created) {
    }

    Ensured ensure(Namespace namespace) {
        String vpc = vpcId();
        List<String> cidrs = cidrs();
        String name = name(namespace);
        Optional<SecurityGroup> existing = find(name, vpc);
        if (existing.isPresent()) {
            return use(existing.get(), cidrs);
        }
        try {
            String groupId = aws.ec2().createSecurityGroup(r -> r.groupName(name).vpcId(vpc)
                    .description("cgrender boxes of namespace " + namespace + ": SSH only")
                    .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.SECURITY_GROUP)
                            .tags(Tag.builder().key(Tags.NAMESPACE).value(namespace.toString()).build(),
                                    Tag.builder().key(Tags.NAME).value(namespace + " (cgrender)").build())
                            .build())).groupId();
            rules.keep(SecurityGroup.builder().groupId(groupId).build(), cidrs, stamped());
            return new Ensured(groupId, true);
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidGroup.Duplicate")) {
                throw aws.explain("creating security group " + name, e);
            }
            SecurityGroup theirs = Visibility.await("security group " + name, settings.pollInterval(),
                    console.progress(), () -> find(name, vpc));
            return use(theirs, cidrs);
        }
    }

    /** A group that exists: checked, then given the rules this launch needs. */
    private Ensured use(SecurityGroup group, List<String> cidrs) {
        rules.requireOnlySsh(group);
        rules.keep(group, cidrs, stamped());
        return new Ensured(group.groupId(), false);
    }

    /** Whether the rules this launch needs are this machine's address, whose last use is recorded. */
    private boolean stamped() {
        return settings.sshCidrs().isEmpty();
    }

    /** Deletes the group, retrying while the network interfaces of just terminated instances still hold it. */
    void delete(String groupId, Duration timeout) {
        AwsWait.until("waiting to delete security group " + groupId, timeout, settings.pollInterval(),
                console.progress(),
                () -> {
                    try {
                        aws.ec2().deleteSecurityGroup(r -> r.groupId(groupId));
                        return Wait.Poll.ready(Boolean.TRUE);
                    } catch (SdkException e) {
                        if (AwsErrors.is(e, "InvalidGroup.NotFound")) {
                            return Wait.Poll.ready(Boolean.TRUE);
                        }
                        if (AwsErrors.is(e, "DependencyViolation")) {
                            return Wait.Poll.notYet("still in use");
                        }
                        throw aws.explain("deleting security group " + groupId, e);
                    }
                });
    }

    private Optional<SecurityGroup> find(String name, String vpc) {
        return aws.call("looking up security group " + name, () -> aws.ec2().describeSecurityGroups(r -> r.filters(
                Filter.builder().name("group-name").values(name).build(),
                Filter.builder().name("vpc-id").values(vpc).build())).securityGroups().stream().findFirst());
    }

    /** Who may SSH to the boxes: {@code cgrender.ec2.ssh-cidrs}, checked, else this machine's public address. */
    List<String> cidrs() {
        if (settings.sshCidrs().isEmpty()) {
            return List.of(caller.cidr());
        }
        for (String cidr : settings.sshCidrs()) {
            if (!cidr.matches("[0-9.]+/\\d{1,2}|[0-9a-fA-F:]+/\\d{1,3}")) {
                throw new UsageException("bad configuration: cgrender.ec2.ssh-cidrs holds '" + cidr + "', which is not"
                        + " a CIDR such as 203.0.113.7/32");
            }
        }
        return settings.sshCidrs();
    }

    /** The VPC of the configured subnet, or the region's default VPC. */
    String vpcId() {
        if (settings.subnet().isPresent()) {
            String subnet = settings.subnet().get();
            try {
                return aws.ec2().describeSubnets(r -> r.subnetIds(subnet)).subnets().get(0).vpcId();
            } catch (SdkException e) {
                if (AwsErrors.is(e, "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed")) {
                    throw new UsageException("subnet " + subnet + " (cgrender.ec2.subnet) does not exist in "
                            + aws.region().id(), e);
                }
                throw aws.explain("looking up subnet " + subnet, e);
            }
        }
        return aws.call("looking up the default VPC", () -> aws.ec2().describeVpcs(r -> r.filters(
                        Filter.builder().name("is-default").values("true").build())).vpcs().stream().findFirst()
                .orElseThrow(() -> new CgrenderException(aws.region().id() + " has no default VPC; name a subnet for"
                        + " the boxes with cgrender.ec2.subnet")).vpcId());
    }
}
