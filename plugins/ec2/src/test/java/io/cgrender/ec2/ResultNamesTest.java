package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void theRoleMayStoreBelowItsNamespaceMailFromItsSendersAndStopItsBoxesOnly() {
        Namespace ns = Namespace.parse("/team/ci/", null);
        assertEquals("cgrender_team_ci_", BoxProfile.name(ns));
        assertTrue(BoxProfile.name(Namespace.parse("/" + "a".repeat(40) + "/" + "b".repeat(40) + "/", null))
                .length() <= 64);
        BoxProfile.Grants grants = new BoxProfile.Grants(List.of("arn:aws:s3:::b/p/team/ci/*",
                "arn:aws:s3:::c/team/ci/*"), List.of("me@example.com"));
        Map<String, String> policies = BoxProfile.policies(ns, grants, "123456789012", "aws");
        assertEquals(4, policies.size(), "one policy per location, one per sender, one to stop: " + policies);
        String all = String.join("\n", policies.values());
        for (String arn : grants.objectArns()) {
            assertTrue(all.contains("{\"Sid\":\"StoreResults\",\"Effect\":\"Allow\",\"Action\":[\"s3:PutObject\"],"
                    + "\"Resource\":[\"" + arn + "\"]}"), all);
        }
        assertTrue(all.contains("\"Action\":[\"ses:SendEmail\",\"ses:SendRawEmail\"],\"Resource\":[\"*\"],"
                + "\"Condition\":{\"StringEquals\":{\"ses:FromAddress\":\"me@example.com\"}}"), all);
        assertEquals("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"StopBoxesOfTheNamespace\",\"Effect\":"
                + "\"Allow\",\"Action\":[\"ec2:StopInstances\"],"
                + "\"Resource\":[\"arn:aws:ec2:*:123456789012:instance/*\"],"
                + "\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/cgrender:namespace\":\"/team/ci/\"}}}]}",
                policies.get("cgrender-box-stop"));
        assertTrue(policies.keySet().stream().allMatch(name -> name.matches("cgrender-box-(store|mail)-[0-9a-f]{16}"
                + "|cgrender-box-stop")), policies.keySet().toString());
        BoxProfile.Grants reordered = new BoxProfile.Grants(List.of("arn:aws:s3:::c/team/ci/*",
                "arn:aws:s3:::b/p/team/ci/*"), List.of("me@example.com"));
        assertEquals(policies.keySet(), BoxProfile.policies(ns, reordered, "123456789012", "aws").keySet(),
                "a grant's policy is named by what it grants, whoever asks for it");
        Map<String, String> noMail = BoxProfile.policies(ns, new BoxProfile.Grants(List.of("arn:aws:s3:::b/*"),
                List.of()), "123456789012", "aws");
        assertTrue(noMail.values().stream().noneMatch(p -> p.contains("ses:")), noMail.toString());
    }
}
