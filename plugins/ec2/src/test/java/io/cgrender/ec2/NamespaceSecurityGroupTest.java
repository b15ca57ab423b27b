package io.cgrender.ec2;

import com.sun.net.httpserver.HttpServer;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The namespace's security group against moto's EC2, when a group of its name exists already: refused when it allows
 * more than cgrender's SSH rules, and its rules of addresses unused for {@code cgrender.ec2.ssh-rule-ttl} removed,
 * never the launching machine's. This machine's public address comes from a server on loopback.
 */
class NamespaceSecurityGroupTest {

    private static final Namespace NS = Namespace.parse("/fixture/", null);
    private static final String NAME = "cgrender_fixture_";
    private static final String HERE = "203.0.113.7";

    @TempDir
    Path temp;
    private Ec2Fixture fx;
    private HttpServer checkIp;

    @BeforeEach
    void start() throws IOException {
        fx = new Ec2Fixture(temp);
        checkIp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        checkIp.createContext("/", exchange -> {
            byte[] body = (HERE + "\n").getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        checkIp.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (checkIp != null) {
            checkIp.stop(0);
        }
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void aGroupOfCgrendersNameThatAllowsMoreThanSshFromItsAddressesIsRefused() {
        String id = group();
        fx.ec2.authorizeSecurityGroupIngress(r -> r.groupId(id).ipPermissions(IpPermission.builder().ipProtocol("tcp")
                .fromPort(0).toPort(65535).ipRanges(IpRange.builder().cidrIp("0.0.0.0/0").build()).build()));
        CgrenderException e = assertThrows(CgrenderException.class,
                () -> fx.cloud(Map.of()).securityGroups().ensure(NS));
        assertEquals("security group " + NAME + " (" + id + ") allows more than cgrender's SSH rules (tcp 0-65535 from"
                + " 0.0.0.0/0), so cgrender will not put its boxes in it; remove that rule or delete the group",
                e.getMessage());
        assertEquals(java.util.Optional.of("fix: aws ec2 revoke-security-group-ingress --group-id " + id
                + " --protocol tcp --port 0-65535 --cidr 0.0.0.0/0 --region us-east-1"), e.hint());

        fx.ec2.revokeSecurityGroupIngress(r -> r.groupId(id).ipPermissions(IpPermission.builder().ipProtocol("tcp")
                .fromPort(0).toPort(65535).ipRanges(IpRange.builder().cidrIp("0.0.0.0/0").build()).build()));
        ssh(id, "198.51.100.0/24", "cgrender SSH");
        assertTrue(assertThrows(CgrenderException.class, () -> fx.cloud(Map.of()).securityGroups().ensure(NS))
                .getMessage().contains("(tcp 22 from 198.51.100.0/24)"), "a wider range that is not configured");
        assertEquals(id, fx.cloud(Map.of("cgrender.ec2.ssh-cidrs", List.of("127.0.0.1/32", "198.51.100.0/24")))
                .securityGroups().ensure(NS).groupId(), "a configured one is cgrender's");
    }

    @Test
    void rulesOfAddressesUnusedForTheTtlAreRemovedButNeverTheLaunchingMachines() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String id = group();
        ssh(id, HERE + "/32", "cgrender SSH, last used " + now.minus(Duration.ofDays(30)));
        ssh(id, "203.0.113.8/32", "cgrender SSH, last used " + now.minus(Duration.ofDays(8)));
        ssh(id, "198.51.100.9/32", "cgrender SSH, last used " + now.minus(Duration.ofDays(1)));
        ssh(id, "192.0.2.5/32", "cgrender SSH");

        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.ec2.ssh-cidrs", List.of(), "cgrender.ec2.public-ip-url",
                "http://127.0.0.1:" + checkIp.getAddress().getPort() + "/", "cgrender.ec2.ssh-rule-ttl", "7d"));
        assertEquals(id, cloud.securityGroups().ensure(NS).groupId());

        Map<String, String> rules = rules(id);
        assertEquals(List.of("192.0.2.5/32", "198.51.100.9/32", HERE + "/32"), List.copyOf(rules.keySet()),
                "8 days unused is over the TTL of 7: " + rules);
        assertEquals("cgrender SSH, last used " + now.minus(Duration.ofDays(1)), rules.get("198.51.100.9/32"));
        for (String renewed : List.of(HERE + "/32", "192.0.2.5/32")) {
            Instant lastUsed = SshRules.lastUsed(rules.get(renewed)).orElseThrow();
            assertTrue(!lastUsed.isBefore(now) && lastUsed.isBefore(now.plusSeconds(60)), renewed + ": " + rules);
        }
        assertTrue(fx.err.toString().contains("removed the SSH rule of 203.0.113.8/32 from security group " + id
                + ": unused since " + now.minus(Duration.ofDays(8)) + " (cgrender.ec2.ssh-rule-ttl = 7d)"),
                fx.err.toString());
    }

    @Test
    void theTtlMustBePositive() {
        UsageException e = assertThrows(UsageException.class,
                () -> fx.cloud(Map.of("cgrender.ec2.ssh-rule-ttl", "0s")));
        assertTrue(e.getMessage().startsWith("bad configuration: cgrender.ec2.ssh-rule-ttl must be a positive"
                + " duration"), e.getMessage());
    }

    /** Makes the namespace's group in the default VPC, as someone (or an older cgrender) did. */
    private String group() {
        String vpc = fx.ec2.describeVpcs(r -> r.filters(f -> f.name("is-default").values("true"))).vpcs().get(0)
                .vpcId();
        return fx.ec2.createSecurityGroup(r -> r.groupName(NAME).vpcId(vpc).description("made before")).groupId();
    }

    private void ssh(String groupId, String cidr, String description) {
        fx.ec2.authorizeSecurityGroupIngress(r -> r.groupId(groupId).ipPermissions(IpPermission.builder()
                .ipProtocol("tcp").fromPort(22).toPort(22).ipRanges(IpRange.builder().cidrIp(cidr)
                        .description(description).build()).build()));
    }

    /** The group's rules: CIDR → description, sorted. */
    private Map<String, String> rules(String groupId) {
        SecurityGroup group = fx.ec2.describeSecurityGroups(r -> r.groupIds(groupId)).securityGroups().get(0);
        Map<String, String> rules = new TreeMap<>();
        group.ipPermissions().forEach(p -> p.ipRanges().forEach(r -> rules.put(r.cidrIp(), r.description())));
        return rules;
    }
}
