package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Console;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.Ipv6Range;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The ingress rules of a namespace's security group: SSH (TCP on the SSH port) from the configured CIDRs
 * ({@code cgrender.ec2.ssh-cidrs}) or from the public addresses of the machines that use the namespace, one /32 (or
 * /128) each, and nothing else. An address's rule records when it was last used in its description
 * ({@code cgrender SSH, last used 2026-11-25T01:02:03Z}), renewed when a box is launched from there; a rule unused for
 * {@code cgrender.ec2.ssh-rule-ttl} is removed by the next launch from another address, never the rule of the address
 * launching. Each rule is added on its own: EC2 refuses a whole call when one of its rules exists, which another client
 * may have added a moment ago.
 */
final class SshRules {

    static final String DESCRIPTION = "cgrender SSH";
    private static final String LAST_USED = DESCRIPTION + ", last used ";
    /** A rule's last use is written again only when the recorded one is older than this: one write a day at most. */
    private static final Duration RENEW_AFTER = Duration.ofDays(1);

    private final AwsClients aws;
    private final Ec2Settings settings;
    private final Console console;

    SshRules(AwsClients aws, Ec2Settings settings, Console console) {
        this.aws = aws;
        this.settings = settings;
        this.console = console;
    }

    /**
     * Refuses a group of cgrender's name that allows more than cgrender would: any rule but SSH from a configured CIDR
     * or from one address with cgrender's description.
     */
    void requireOnlySsh(SecurityGroup group) {
        for (IpPermission p : group.ipPermissions()) {
            List<String> foreign = new ArrayList<>();
            boolean ssh = "tcp".equals(p.ipProtocol()) && p.fromPort() != null && p.fromPort() == settings.sshPort()
                    && p.toPort() != null && p.toPort() == settings.sshPort();
            p.ipRanges().stream().filter(r -> !ssh || !isCgrenders(r.cidrIp(), r.description()))
                    .forEach(r -> foreign.add(r.cidrIp()));
            p.ipv6Ranges().stream().filter(r -> !ssh || !isCgrenders(r.cidrIpv6(), r.description()))
                    .forEach(r -> foreign.add(r.cidrIpv6()));
            p.userIdGroupPairs().forEach(g -> foreign.add(g.groupId()));
            p.prefixListIds().forEach(l -> foreign.add(l.prefixListId()));
            if (!foreign.isEmpty()) {
                String ports = "-1".equals(p.ipProtocol()) ? "all traffic" : p.ipProtocol() + " " + p.fromPort()
                        + (p.fromPort() != null && p.fromPort().equals(p.toPort()) ? "" : "-" + p.toPort());
                CgrenderException refused = new CgrenderException("security group " + group.groupName() + " ("
                        + group.groupId() + ") allows more than cgrender's SSH rules (" + ports + " from "
                        + String.join(", ", foreign) + "), so cgrender will not put its boxes in it; remove that rule"
                        + " or delete the group");
                boolean oneCidr = foreign.size() == 1 && p.ipRanges().stream().anyMatch(r -> r.cidrIp().equals(
                        foreign.get(0))) && p.fromPort() != null && p.toPort() != null;
                throw oneCidr ? refused.fix("aws ec2 revoke-security-group-ingress --group-id " + group.groupId()
                        + " --protocol " + ("-1".equals(p.ipProtocol()) ? "all" : p.ipProtocol()) + " --port "
                        + (p.fromPort().equals(p.toPort()) ? p.fromPort() : p.fromPort() + "-" + p.toPort())
                        + " --cidr " + foreign.get(0) + " --region " + aws.region().id())
                        : refused.see("aws ec2 describe-security-groups --group-ids " + group.groupId() + " --region "
                        + aws.region().id());
            }
        }
    }

    private boolean isCgrenders(String cidr, String description) {
        return settings.sshCidrs().contains(cidr) || (isOneAddress(cidr) && description != null
                && description.startsWith(DESCRIPTION));
    }

    /**
     * Makes {@code group}'s rules what this launch needs: a rule for each of {@code wanted}, the last use of each
     * renewed when they are this machine's address ({@code stamped}), and the rules of other addresses that have not
     * been used for the TTL removed.
     */
    void keep(SecurityGroup group, List<String> wanted, boolean stamped) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Set<String> present = new HashSet<>();
        for (IpPermission p : group.ipPermissions()) {
            p.ipRanges().forEach(r -> present.add(r.cidrIp()));
            p.ipv6Ranges().forEach(r -> present.add(r.cidrIpv6()));
            p.ipRanges().forEach(r -> review(group.groupId(), r.cidrIp(), r.description(), wanted, stamped, now));
            p.ipv6Ranges().forEach(r -> review(group.groupId(), r.cidrIpv6(), r.description(), wanted, stamped, now));
        }
        for (String cidr : wanted) {
            if (!present.contains(cidr)) {
                Visibility.await("security group " + group.groupId(), settings.pollInterval(), console.progress(),
                        () -> authorize(group.groupId(), rule(cidr, stamped ? LAST_USED + now : DESCRIPTION), cidr));
            }
        }
    }

    /** Renews the last use of a wanted address's rule, or removes another address's rule unused for the TTL. */
    private void review(String groupId, String cidr, String description, List<String> wanted, boolean stamped,
                        Instant now) {
        if (!isOneAddress(cidr) || description == null || !description.startsWith(DESCRIPTION)
                || settings.sshCidrs().contains(cidr)) {
            return; // a configured CIDR: kept as long as it is configured
        }
        Optional<Instant> lastUsed = lastUsed(description);
        if (wanted.contains(cidr)) {
            if (stamped && lastUsed.map(t -> t.isBefore(now.minus(RENEW_AFTER))).orElse(true)) {
                describe(groupId, cidr, LAST_USED + now);
            }
        } else if (lastUsed.isEmpty()) {
            describe(groupId, cidr, LAST_USED + now); // an older cgrender's rule: its time starts now
        } else if (lastUsed.get().plus(settings.sshRuleTtl()).isBefore(now)) {
            revoke(groupId, cidr);
            console.status("removed the SSH rule of " + cidr + " from security group " + groupId + ": unused since "
                    + lastUsed.get() + " (cgrender.ec2.ssh-rule-ttl = " + settings.sshRuleTtl().toDays() + "d)");
        }
    }

    /** When the rule of {@code description} was last used, if it says. */
    static Optional<Instant> lastUsed(String description) {
        if (description == null || !description.startsWith(LAST_USED)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(description.substring(LAST_USED.length()).strip()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static boolean isOneAddress(String cidr) {
        return cidr.endsWith(cidr.contains(":") ? "/128" : "/32");
    }

    private IpPermission rule(String cidr, String description) {
        IpPermission.Builder ssh = IpPermission.builder().ipProtocol("tcp").fromPort(settings.sshPort())
                .toPort(settings.sshPort());
        if (cidr.contains(":")) {
            ssh.ipv6Ranges(Ipv6Range.builder().cidrIpv6(cidr).description(description).build());
        } else {
            ssh.ipRanges(IpRange.builder().cidrIp(cidr).description(description).build());
        }
        return ssh.build();
    }

    private void describe(String groupId, String cidr, String description) {
        try {
            aws.ec2().updateSecurityGroupRuleDescriptionsIngress(r -> r.groupId(groupId)
                    .ipPermissions(rule(cidr, description)));
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidPermission.NotFound")) {
                throw aws.explain("recording the use of the SSH rule of " + cidr + " in security group " + groupId, e);
            }
        }
    }

    private void revoke(String groupId, String cidr) {
        try {
            aws.ec2().revokeSecurityGroupIngress(r -> r.groupId(groupId).ipPermissions(rule(cidr, null)));
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidPermission.NotFound")) {
                throw aws.explain("removing the SSH rule of " + cidr + " from security group " + groupId, e);
            }
        }
    }

    /** Adds {@code rule}; empty while EC2 does not know the group yet. */
    private Optional<Boolean> authorize(String groupId, IpPermission rule, String cidr) {
        try {
            aws.ec2().authorizeSecurityGroupIngress(r -> r.groupId(groupId).ipPermissions(rule));
            return Optional.of(Boolean.TRUE);
        } catch (SdkException e) {
            if (AwsErrors.is(e, "InvalidPermission.Duplicate")) {
                return Optional.of(Boolean.TRUE); // another client added it at the same moment
            }
            if (AwsErrors.is(e, "InvalidGroup.NotFound")) {
                return Optional.empty();
            }
            throw aws.explain("allowing SSH from " + cidr + " in security group " + groupId, e);
        }
    }
}
