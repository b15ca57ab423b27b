package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ns.Namespace;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.iam.IamClient;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The namespace's IAM role against moto's IAM, when a role of its name exists already: used only when it is what
 * cgrender makes, with an older cgrender's broader grants replaced.
 */
class BoxProfileTest {

    private static final Namespace NS = Namespace.parse("/fixture/", null);
    private static final String NAME = "cgrender_fixture_";
    private static final BoxProfile.Grants GRANTS = new BoxProfile.Grants(List.of("arn:aws:s3:::b/_fixture_/*"),
            List.of(new BoxProfile.Mail("me@example.com", "me@example.com")));

    @TempDir
    Path temp;
    private Ec2Fixture fx;
    private IamClient iam;
    private BoxProfile profiles;

    @BeforeEach
    void start() {
        fx = new Ec2Fixture(temp);
        iam = Ec2TestKit.iam(fx.moto);
        profiles = new BoxProfile(fx.cloud(Map.of()).aws(), fx.console, Duration.ofMillis(200));
    }

    @AfterEach
    void stop() throws Exception {
        if (fx != null) {
            iam.close();
            fx.close();
        }
    }

    @Test
    void aRoleOfCgrendersNameIsUsedOnlyWhenItIsWhatCgrenderMakes() {
        iam.createRole(r -> r.roleName(NAME).path(BoxProfile.PATH).assumeRolePolicyDocument("{\"Version\":"
                + "\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                + "\"arn:aws:iam::111111111111:root\"},\"Action\":\"sts:AssumeRole\"}]}"));
        assertEquals("IAM role " + NAME + " trusts more or other than EC2 ({\"Version\":\"2012-10-17\",\"Statement\":"
                + "[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"},\"Action\":"
                + "\"sts:AssumeRole\"}]}), so cgrender will not give it to its boxes; delete the role or use another"
                + " namespace\nfix: aws iam delete-role --role-name " + NAME, refusal());

        iam.updateAssumeRolePolicy(r -> r.roleName(NAME).policyDocument(BoxProfile.TRUST));
        String admin = iam.createPolicy(r -> r.policyName("admin").policyDocument(ALLOW_ALL)).policy().arn();
        iam.attachRolePolicy(r -> r.roleName(NAME).policyArn(admin));
        assertEquals("IAM role " + NAME + " has managed policies attached (" + admin + "), so cgrender will not give"
                + " it to its boxes; detach them or use another namespace\nfix: aws iam detach-role-policy --role-name "
                + NAME + " --policy-arn " + admin, refusal());

        iam.detachRolePolicy(r -> r.roleName(NAME).policyArn(admin));
        iam.putRolePolicy(r -> r.roleName(NAME).policyName("extra").policyDocument(ALLOW_ALL));
        assertEquals("IAM role " + NAME + " has an inline policy extra that cgrender did not write, so cgrender will"
                + " not give the role to its boxes; delete it or use another namespace\nfix: aws iam delete-role-policy"
                + " --role-name " + NAME + " --policy-name extra", refusal());
        assertEquals(Set.of("extra"), policies().keySet(), "nothing granted to a role that is not cgrender's");
    }

    @Test
    void anOlderCgrendersBroaderGrantsAreReplaced() {
        iam.createRole(r -> r.roleName(NAME).path(BoxProfile.PATH).assumeRolePolicyDocument(BoxProfile.TRUST));
        iam.putRolePolicy(r -> r.roleName(NAME).policyName("cgrender-box-stop").policyDocument("{\"Version\":"
                + "\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ec2:StopInstances\"],"
                + "\"Resource\":[\"arn:aws:ec2:*:123456789012:instance/*\"]}]}"));
        iam.putRolePolicy(r -> r.roleName(NAME).policyName("cgrender-box-mail-0123456789abcdef").policyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ses:SendEmail\","
                        + "\"ses:SendRawEmail\"],\"Resource\":[\"*\"]}]}"));

        profiles.ensure(NS, GRANTS, MotoServer.ACCOUNT);

        Map<String, String> now = policies();
        assertEquals(BoxProfile.policies(NS, GRANTS, MotoServer.ACCOUNT, "aws").keySet(), now.keySet());
        now.forEach((name, document) -> assertTrue(BoxProfile.isNamedByContent(name, document), name));
        assertFalse(now.values().stream().anyMatch(d -> d.contains("SendRawEmail")), now.toString());
        assertFalse(IamPolicy.roleAllows(iam, NAME, "ec2:StopInstances", "arn:aws:ec2:us-east-1:123456789012:instance/"
                + "i-0bbbbbbbbbbbbbbbb", Map.of("ec2:SourceInstanceARN", List.of("arn:aws:ec2:us-east-1:123456789012:"
                + "instance/i-0aaaaaaaaaaaaaaaa"), "ec2:InstanceId", List.of("i-0bbbbbbbbbbbbbbbb"),
                "aws:ResourceTag/cgrender:namespace", List.of("/fixture/"))), "another box of the namespace");
    }

    private static final String ALLOW_ALL = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"*\",\"Resource\":\"*\"}]}";

    /** The refusal's message and its second line. */
    private String refusal() {
        CgrenderException e = assertThrows(CgrenderException.class,
                () -> profiles.ensure(NS, GRANTS, MotoServer.ACCOUNT));
        return e.getMessage() + e.hint().map(hint -> "\n" + hint).orElse("");
    }

    /** The role's inline policies, by name. */
    private Map<String, String> policies() {
        return iam.listRolePolicies(r -> r.roleName(NAME)).policyNames().stream().collect(Collectors.toMap(n -> n,
                n -> URLDecoder.decode(iam.getRolePolicy(r -> r.roleName(NAME).policyName(n)).policyDocument(),
                        StandardCharsets.UTF_8)));
    }
}
