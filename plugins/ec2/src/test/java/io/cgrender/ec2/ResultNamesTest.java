package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names of results: locations, the default bucket, the namespace's role and its policy. */
class ResultNamesTest {

    @Test
    void locationsAreS3UrisWithAnOptionalPrefix() {
        assertEquals(new S3Location("my-bucket", ""), S3Location.parse("s3://my-bucket", "-o"));
        assertEquals(new S3Location("my-bucket", ""), S3Location.parse("s3://my-bucket/", "-o"));
        assertEquals(new S3Location("my.bucket", "renders/2026/"), S3Location.parse(" s3://my.bucket//renders/2026/ ",
                "-o"));
        S3Location base = S3Location.parse("s3://bkt/p", "-o");
        assertEquals("s3://bkt/p/team/ci/cube/", base.resolve("team/ci").resolve("cube").toString());
        assertEquals("p/x.json", base.key("x.json"));
        for (String bad : List.of("my-bucket", "https://my-bucket.s3.amazonaws.com/", "s3://", "s3://ab",
                "s3://My_Bucket", "s3://-bucket", "s3://bucket-", "s3://a..b", "s3://192.168.1.1",
                "s3://" + "x".repeat(64))) {
            assertThrows(UsageException.class, () -> S3Location.parse(bad, "-o"), bad);
        }
        assertEquals("s3://bkt/p/_team_ci_/", base.of(Namespace.parse("/team/ci/", null)).toString());
        UsageException nsPart = assertThrows(UsageException.class, () -> S3Location.given("s3://bkt/p/_team_/x", "-o"));
        assertEquals("-o 's3://bkt/p/_team_/x': the component '_team_' is how cgrender names a namespace's part of a"
                + " location; choose a prefix without it", nsPart.getMessage());
        assertEquals(new S3Location("bkt", "p/_archive/"), S3Location.given("s3://bkt/p/_archive", "-o"));
        UsageException e = assertThrows(UsageException.class, () -> S3Location.parse("s3://My_Bucket/x", "-o"));
        assertEquals("-o 's3://My_Bucket/x': 'My_Bucket' is not a valid S3 bucket name (lower-case letters, digits,"
                + " dots and hyphens, starting and ending with a letter or digit)", e.getMessage());
    }

    @Test
    void theDefaultBucketIsAValidNameDerivedFromAccountRegionAndNamespace() {
        Namespace alice = Namespace.parse("/alice/", null);
        String name = ResultBucket.defaultName("123456789012", "ap-southeast-2", alice);
        assertTrue(name.matches("cgrender-123456789012-ap-southeast-2-[0-9a-f]{10}"), name);
        assertNull(S3Location.bucketProblem(name));
        assertEquals(name, ResultBucket.defaultName("123456789012", "ap-southeast-2", alice), "stable");
        assertTrue(!name.equals(ResultBucket.defaultName("123456789012", "ap-southeast-2",
                Namespace.parse("/team/ci/", null))), "one per namespace");
        String longest = ResultBucket.defaultName("123456789012", "ap-southeast-2",
                Namespace.parse("/a-very-long-team-name/with.a.sub-namespace/and-another-level/", null));
        assertNull(S3Location.bucketProblem(longest), longest);
    }

    @Test
    void theRoleMayStoreBelowItsNamespaceInThisAccountMailItsRecipientsAndStopItselfOnly() {
        Namespace ns = Namespace.parse("/team/ci/", null);
        assertEquals("cgrender_team_ci_", BoxProfile.name(ns));
        assertTrue(BoxProfile.name(Namespace.parse("/" + "a".repeat(40) + "/" + "b".repeat(40) + "/", null))
                .length() <= 64);
        BoxProfile.Grants grants = new BoxProfile.Grants(List.of("arn:aws:s3:::b/p/_team_ci_/*",
                "arn:aws:s3:::c/_team_ci_/*"), List.of(new BoxProfile.Mail("me@example.com", "you@example.com")));
        Map<String, String> policies = BoxProfile.policies(ns, grants, ACCOUNT, "aws");
        assertEquals(6, policies.size(), "one policy per location, one per mail, one to stop, one to report the idle"
                + " timer, one for the agent: " + policies);
        assertTrue(policies.keySet().stream().allMatch(name -> name.matches(
                "cgrender-box-(store|mail|stop|idle|agent)-[0-9a-f]{16}")), policies.keySet().toString());
        policies.forEach((name, document) -> assertTrue(BoxProfile.isNamedByContent(name, document), name));
        List<IamPolicy> role = policies.values().stream().map(IamPolicy::parse).toList();

        Map<String, List<String>> here = Map.of("s3:ResourceAccount", List.of(ACCOUNT));
        assertTrue(allows(role, "s3:PutObject", "arn:aws:s3:::b/p/_team_ci_/cube/j-1/cube.stl", here));
        assertTrue(allows(role, "s3:PutObject", "arn:aws:s3:::c/_team_ci_/cache/k.json", here));
        assertFalse(allows(role, "s3:PutObject", "arn:aws:s3:::b/p/_team_/cube/j-1/cube.stl", here));
        assertFalse(allows(role, "s3:PutObject", "arn:aws:s3:::b/p/_team_ci_/cube/j-1/cube.stl",
                Map.of("s3:ResourceAccount", List.of("111111111111"))), "a bucket of that name of another account");
        assertFalse(allows(role, "s3:GetObject", "arn:aws:s3:::b/p/_team_ci_/cube/j-1/cube.stl", here));
        assertFalse(allows(role, "s3:DeleteObject", "arn:aws:s3:::b/p/_team_ci_/cube/j-1/cube.stl", here));

        String identity = "arn:aws:ses:us-east-1:" + ACCOUNT + ":identity/me@example.com";
        assertTrue(allows(role, "ses:SendEmail", identity, mail("me@example.com", "you@example.com")));
        assertFalse(allows(role, "ses:SendEmail", identity, mail("me@example.com", "stranger@example.org")));
        assertFalse(allows(role, "ses:SendEmail", identity, mail("me@example.com", "you@example.com",
                "stranger@example.org")), "one more recipient");
        assertFalse(allows(role, "ses:SendEmail", identity, mail("other@example.com", "you@example.com")));
        assertFalse(allows(role, "ses:SendRawEmail", identity, mail("me@example.com", "you@example.com")),
                "the box sends with SendEmail only");

        String self = "arn:aws:ec2:us-east-1:" + ACCOUNT + ":instance/i-0aaaaaaaaaaaaaaaa";
        String sibling = "arn:aws:ec2:us-east-1:" + ACCOUNT + ":instance/i-0bbbbbbbbbbbbbbbb";
        assertTrue(allows(role, "ec2:StopInstances", self, stop(self, "i-0aaaaaaaaaaaaaaaa", "/team/ci/")));
        assertFalse(allows(role, "ec2:StopInstances", sibling, stop(self, "i-0bbbbbbbbbbbbbbbb", "/team/ci/")),
                "another box of the namespace");
        assertFalse(allows(role, "ec2:StopInstances", self, Map.of("ec2:InstanceId", List.of("i-0aaaaaaaaaaaaaaaa"),
                "aws:ResourceTag/cgrender:namespace", List.of("/team/ci/"))), "credentials used off the instance");
        assertFalse(allows(role, "ec2:StopInstances", self, stop(self, "i-0aaaaaaaaaaaaaaaa", "/team/")));
        assertFalse(allows(role, "ec2:TerminateInstances", self, stop(self, "i-0aaaaaaaaaaaaaaaa", "/team/ci/")));
        assertTrue(allows(role, "ec2:CreateTags", self, tag(stop(self, "i-0aaaaaaaaaaaaaaaa", "/team/ci/"),
                "cgrender:idle-since")));
        assertFalse(allows(role, "ec2:CreateTags", self, tag(stop(self, "i-0aaaaaaaaaaaaaaaa", "/team/ci/"),
                "cgrender:idle-since", "cgrender:stage")), "no other tag, such as its stage");
        assertFalse(allows(role, "ec2:CreateTags", sibling, tag(stop(self, "i-0bbbbbbbbbbbbbbbb", "/team/ci/"),
                "cgrender:idle-since")), "another box's tags");
        assertFalse(allows(role, "ec2:CreateTags", self, stop(self, "i-0aaaaaaaaaaaaaaaa", "/team/ci/")),
                "a request that names no tag key");

        BoxProfile.Grants reordered = new BoxProfile.Grants(List.of("arn:aws:s3:::c/_team_ci_/*",
                "arn:aws:s3:::b/p/_team_ci_/*"), grants.mails());
        assertEquals(policies.keySet(), BoxProfile.policies(ns, reordered, ACCOUNT, "aws").keySet(),
                "a grant's policy is named by what it grants, whoever asks for it");
        Map<String, String> noMail = BoxProfile.policies(ns, new BoxProfile.Grants(List.of("arn:aws:s3:::b/*"),
                List.of()), ACCOUNT, "aws");
        assertTrue(noMail.values().stream().noneMatch(p -> p.contains("ses:")), noMail.toString());
        assertFalse(BoxProfile.isNamedByContent("cgrender-box-stop", policies.values().iterator().next()));
    }

    private static final String ACCOUNT = "123456789012";

    private static boolean allows(List<IamPolicy> role, String action, String resource,
                                  Map<String, List<String>> context) {
        return role.stream().anyMatch(p -> p.allows(action, resource, context));
    }

    private static Map<String, List<String>> mail(String from, String... to) {
        return Map.of("ses:FromAddress", List.of(from), "ses:Recipients", List.of(to));
    }

    private static Map<String, List<String>> tag(Map<String, List<String>> context, String... keys) {
        Map<String, List<String>> withKeys = new HashMap<>(context);
        withKeys.put("aws:TagKeys", List.of(keys));
        return withKeys;
    }

    private static Map<String, List<String>> stop(String source, String target, String namespaceTag) {
        return Map.of("ec2:SourceInstanceARN", List.of(source), "ec2:InstanceId", List.of(target),
                "aws:ResourceTag/cgrender:namespace", List.of(namespaceTag));
    }
}
