package io.cgrender.ec2;

import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.UsageException;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the instance profile lets a box's agent do, its channel's names and policy, and the agent as installed. */
class AgentPolicyTest {

    private static final String ACCOUNT = "123456789012";
    private static final Namespace NS = Namespace.parse("/team/ci/", null);
    private static final String ROLE_ID = "AROAEXAMPLEROLEID0001";
    private static final String SELF = "i-0aaaaaaaaaaaaaaaa";
    private static final String SIBLING = "i-0bbbbbbbbbbbbbbbb";
    private static final String CLIENT = "ssh-ed25519"
            + " AAAAC3NzaC1lZDI1NTE5AAAAIAOJXjb0kVklTreibduPkATjd8q9NYg5hxUw9yImoVRH me@laptop";

    @Test
    void aBoxMayHearItsOwnQueueOnlyReadTheKeysAndAnswerPings() {
        List<IamPolicy> role = BoxProfile.policies(NS, new BoxProfile.Grants(List.of(), List.of()), ACCOUNT, "aws")
                .values().stream().map(IamPolicy::parse).toList();
        String own = queueArn(NS, SELF);
        String siblings = queueArn(NS, SIBLING);
        Map<String, List<String>> asSelf = Map.of("aws:userid", List.of(ROLE_ID + ":" + SELF));

        assertTrue(allows(role, "sqs:ReceiveMessage", own, queueOf(asSelf, SELF)));
        assertTrue(allows(role, "sqs:DeleteMessage", own, queueOf(asSelf, SELF)));
        assertFalse(allows(role, "sqs:ReceiveMessage", siblings, queueOf(asSelf, SIBLING)), "another box's queue");
        assertFalse(allows(role, "sqs:ReceiveMessage", own, Map.of("aws:ResourceTag/cgrender:agent-of",
                List.of(ROLE_ID + ":" + SELF))), "credentials used off the instance (another aws:userid)");
        assertFalse(allows(role, "sqs:ReceiveMessage", own, asSelf), "a queue without the tag");
        assertFalse(allows(role, "sqs:ReceiveMessage", queueArn(Namespace.parse("/team/", null), SELF),
                queueOf(asSelf, SELF)), "a queue of another namespace, even tagged so");
        for (String action : List.of("sqs:SendMessage", "sqs:PurgeQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes",
                "sqs:CreateQueue", "sqs:ChangeMessageVisibility")) {
            assertFalse(allows(role, action, own, queueOf(asSelf, SELF)), action);
        }
        assertTrue(allows(role, "sqs:GetQueueUrl", own, Map.of()), "finds its queue by name");
        assertFalse(allows(role, "sqs:GetQueueUrl", queueArn(Namespace.parse("/other/", null), SELF), Map.of()));

        assertTrue(allows(role, "ec2:DescribeKeyPairs", "*", Map.of()));
        for (String action : List.of("ec2:ImportKeyPair", "ec2:DeleteKeyPair", "ec2:CreateKeyPair",
                "sns:Publish", "sns:Subscribe")) {
            assertFalse(allows(role, action, "*", Map.of()), action);
        }

        String self = "arn:aws:ec2:us-east-1:" + ACCOUNT + ":instance/" + SELF;
        String sibling = "arn:aws:ec2:us-east-1:" + ACCOUNT + ":instance/" + SIBLING;
        assertTrue(allows(role, "ec2:CreateTags", self, tag(self, SELF, "cgrender:agent-pong")));
        assertTrue(allows(role, "ec2:CreateTags", self, tag(self, SELF, "cgrender:expires-at")));
        assertTrue(allows(role, "ec2:CreateTags", self, tag(self, SELF, "cgrender:kept")), "keep and release");
        assertFalse(allows(role, "ec2:CreateTags", sibling, tag(self, SIBLING, "cgrender:kept")),
                "keep only itself");
        assertFalse(allows(role, "ec2:CreateTags", sibling, tag(self, SIBLING, "cgrender:agent-pong")),
                "another box's pong");
        assertFalse(allows(role, "ec2:CreateTags", self, tag(self, SELF, "cgrender:agent-pong", "cgrender:namespace")));
    }

    @Test
    void theQueueTakesMessagesFromTheNamespacesTopicAndTheAccountOnly() {
        String topic = "arn:aws:sns:us-east-1:" + ACCOUNT + ":" + AgentChannel.topicName(NS);
        String policy = AgentChannel.queuePolicy(queueArn(NS, SELF), topic, ACCOUNT, "aws");
        assertTrue(policy.contains("\"aws:SourceArn\":\"" + topic + "\""), policy);
        assertTrue(policy.contains("\"Service\":\"sns.amazonaws.com\""), policy);
        assertTrue(policy.contains("\"AWS\":\"arn:aws:iam::" + ACCOUNT + ":root\""), policy);
        assertFalse(policy.contains("\"*\""), "no one else: " + policy);
        assertEquals(2, policy.split("\"sqs:SendMessage\"", -1).length - 1, policy);
    }

    @Test
    void namesAreValidForSnsAndSqsAndCarryTheInstance() {
        Namespace dotted = Namespace.parse("/a.b/" + "c".repeat(60) + "/", null);
        String name = AgentChannel.queueName(dotted, SELF);
        assertTrue(name.matches("[A-Za-z0-9_-]{1,80}"), name);
        assertTrue(AgentChannel.topicName(dotted).matches("[A-Za-z0-9_-]{1,256}"));
        assertEquals(Optional.of(SELF), AgentChannel.instanceOf(dotted, "https://sqs.eu-west-1.amazonaws.com/"
                + ACCOUNT + "/" + name));
        assertEquals(Optional.of(SELF), AgentChannel.instanceOf(dotted, "arn:aws:sqs:eu-west-1:" + ACCOUNT + ":"
                + name));
        assertEquals(Optional.empty(), AgentChannel.instanceOf(NS, name), "another namespace's queue");
        assertEquals(Optional.empty(), AgentChannel.instanceOf(dotted, AgentChannel.queuePrefix(dotted) + "x"));
    }

    @Test
    void theInstalledAgentIsValidBashWithEverySettingFilledAndRefusesKeyNamesThatAreNoNames() {
        String installer = Ec2Agents.installer(NS, "ubuntu", new AuthorizedKeys(Optional.of(new LinkedHashSet<>(
                List.of("alice", "bob.laptop")))), Duration.ofHours(8), Duration.ofMinutes(30), CLIENT);
        assertFalse(java.util.regex.Pattern.compile("@[A-Z_]+@").matcher(installer).find(), "every placeholder"
                + " is filled");
        assertEquals(0, OsCommand.run(Duration.ofSeconds(10), "bash", "-n", "-c", installer).exitCode());
        String agent = Ec2Agents.agent(NS, "ubuntu", new AuthorizedKeys(Optional.empty()), Duration.ofHours(8),
                CLIENT);
        assertTrue(agent.contains("selected_keys=\"${CGRENDER_KEYS:-*}\""), agent);
        assertTrue(agent.contains("max_extension=\"${CGRENDER_MAX_EXTENSION_SECONDS:-28800}\""));
        assertTrue(agent.contains("own_key_pair=\"${CGRENDER_KEY_PAIR:-cgrender_team_ci_}\""));
        assertTrue(installer.contains("selected_keys=\"${CGRENDER_KEYS:-alice bob.laptop}\""));
        assertTrue(installer.contains("Restart=always"));
        assertTrue(agent.contains("client_key=\"${CGRENDER_CLIENT_KEY:-ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOJ"),
                agent);
        assertThrows(UsageException.class, () -> Ec2Agents.installer(NS, "ubuntu", new AuthorizedKeys(Optional.of(
                new LinkedHashSet<>(List.of("$(reboot)")))), Duration.ofHours(8), Duration.ofMinutes(30), CLIENT));
    }

    private static String queueArn(Namespace ns, String instance) {
        return "arn:aws:sqs:us-east-1:" + ACCOUNT + ":" + AgentChannel.queueName(ns, instance);
    }

    private static Map<String, List<String>> queueOf(Map<String, List<String>> context, String instance) {
        Map<String, List<String>> with = new HashMap<>(context);
        with.put("aws:ResourceTag/cgrender:agent-of", List.of(ROLE_ID + ":" + instance));
        return with;
    }

    private static Map<String, List<String>> tag(String source, String target, String... keys) {
        return Map.of("ec2:SourceInstanceARN", List.of(source), "ec2:InstanceId", List.of(target),
                "aws:ResourceTag/cgrender:namespace", List.of(NS.toString()), "aws:TagKeys", List.of(keys));
    }

    private static boolean allows(List<IamPolicy> role, String action, String resource,
                                  Map<String, List<String>> context) {
        return role.stream().anyMatch(p -> p.allows(action, resource, context));
    }
}
