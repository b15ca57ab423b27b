package io.cgrender.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cgrender --cloud ec2 doctor} against moto: everything a render needs passes on a well-configured namespace,
 * and nothing is made or launched by checking; a wrong region, a bucket in another region and a sender SES has not
 * verified fail with the fix; calls AWS refuses for a permission (answered by the test kit's proxy in front of moto,
 * as moto ignores IAM) point to the permissions documentation.
 */
class Ec2DoctorTest {

    private static final String ME = "me@example.com";
    private static final String PERMISSIONS = "see: README.md#aws-permissions (ready policies in docs/iam/)";

    @RegisterExtension
    final Cli cli = new Cli();

    private MotoServer moto;

    @BeforeEach
    void freshMoto() {
        moto = MotoServer.shared();
        moto.reset();
        cli.env().putAll(Ec2TestKit.environment(cli.root().resolve("home")));
    }

    @AfterEach
    void nothingWasMade() {
        try (Ec2Client ec2 = Ec2TestKit.client(moto); S3Client s3 = Ec2TestKit.s3(moto);
             IamClient iam = Ec2TestKit.iam(moto)) {
            assertEquals(List.of(), ec2.describeInstancesPaginator(r -> { }).reservations().stream()
                    .flatMap(r -> r.instances().stream()).toList(), "doctor launches nothing");
            assertEquals(List.of(), ec2.describeKeyPairs().keyPairs(), "nor imports a key pair");
            assertTrue(ec2.describeSecurityGroups().securityGroups().stream()
                    .allMatch(g -> g.groupName().equals("default")), "nor makes a security group");
            assertTrue(s3.listBuckets().buckets().stream().noneMatch(b -> b.name().startsWith("cgrender-")),
                    "nor a bucket");
            assertTrue(iam.listRoles().roles().stream().noneMatch(r -> r.roleName().startsWith("cgrender")),
                    "nor an IAM role");
        }
    }

    private void configure(String endpoint, String extra) throws IOException {
        Files.createDirectories(cli.configDir());
        Files.writeString(cli.configDir().resolve("cgrender.conf"), "cgrender {\n"
                + "  cloud = ec2\n"
                + "  aws.endpoint = \"" + endpoint + "\"\n"
                + "  ec2 { ssh-cidrs = [\"127.0.0.1/32\"], poll-interval = 200ms }\n"
                + "}\n" + extra);
    }

    @Test
    void everythingARenderNeedsPassesOnAWellConfiguredNamespace() throws IOException {
        Ec2TestKit.verifyEmail(moto, ME);
        configure(moto.endpoint(), "cgrender.notify.email = \"" + ME + "\"\n");
        Cli.Result r = cli.run("doctor");
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("java", "configuration", "key files", "known_hosts", "plugins", "directories",
                "aws credentials", "vpc and subnet", "base image", "launch permission", "ssh access", "results bucket",
                "mail", "instance profile"), r.out().lines().map(l -> l.substring(5, l.indexOf(':'))).toList(),
                r.toString());
        assertTrue(r.out().lines().allMatch(l -> l.startsWith("ok   ")), r.toString());
        assertTrue(r.out().contains("ok   aws credentials: account " + MotoServer.ACCOUNT + " ("), r.out());
        assertTrue(r.out().contains("credentials from AWS_ACCESS_KEY_ID; region us-east-1 from AWS_REGION; endpoint "
                + moto.endpoint()), "names where credentials and region came from: " + r.out());
        assertTrue(r.out().contains("ok   vpc and subnet: default VPC vpc-"), r.out());
        assertTrue(r.out().contains("ok   launch permission: EC2 would launch a c6i.large from ami-"), r.out());
        assertTrue(r.out().contains("ok   ssh access: boxes let SSH in from 127.0.0.1/32 (cgrender.ec2.ssh-cidrs)"),
                r.out());
        assertTrue(r.out().contains("ok   results bucket: s3://cgrender-" + MotoServer.ACCOUNT + "-us-east-1-"),
                r.out());
        assertTrue(r.out().contains("does not exist yet: the first render on EC2 makes it"), r.out());
        assertTrue(r.out().contains("ok   mail: " + ME + " may mail " + ME + " through Amazon SES in us-east-1"),
                r.out());
        assertTrue(r.out().contains("ok   instance profile: IAM role cgrender_tester_ does not exist yet"), r.out());
    }

    @Test
    void aConfiguredBucketIsCheckedAndOneInAnotherRegionFails() throws IOException {
        try (S3Client s3 = Ec2TestKit.s3(moto)) {
            s3.createBucket(r -> r.bucket("our-results"));
            s3.createBucket(r -> r.bucket("far-results").createBucketConfiguration(c -> c.locationConstraint(
                    "eu-west-1")));
        }
        configure(moto.endpoint(), "cgrender.results.location = \"s3://our-results/renders\"\n");
        Cli.Result ok = cli.run("doctor");
        assertEquals(0, ok.code(), ok.toString());
        assertTrue(ok.out().contains("ok   results bucket: s3://our-results/renders/ (cgrender.results.location): in"
                + " us-east-1, owned by account " + MotoServer.ACCOUNT), ok.out());

        configure(moto.endpoint(), "cgrender.results.location = \"s3://far-results\"\n");
        Cli.Result far = cli.run("doctor");
        assertEquals(1, far.code(), far.toString());
        assertTrue(far.out().contains("FAIL results bucket: bucket far-results (cgrender.results.location) is in"
                + " eu-west-1, but the boxes run in us-east-1"), far.out());
        assertTrue(far.out().contains("     fix: set cgrender.results.location to s3://A-BUCKET-OF-YOURS in"
                + " us-east-1, or to \"\" for cgrender's own bucket"), far.out());
    }

    @Test
    void aWrongRegionFailsNamingWhereItCameFromAndSkipsWhatNeedsIt() throws IOException {
        configure(moto.endpoint(), "");
        cli.env().put("AWS_REGION", "us-nowhere-1");
        Cli.Result r = cli.run("doctor");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("FAIL aws credentials: unknown AWS region 'us-nowhere-1' (from AWS_REGION)"),
                r.out());
        assertTrue(r.out().contains("     fix: name a region EC2 has, e.g. us-east-1, with --region, AWS_REGION or"
                + " cgrender.aws.region"), r.out());
        for (String dependent : List.of("vpc and subnet", "base image", "launch permission", "ssh access",
                "results bucket", "mail", "instance profile")) {
            assertTrue(r.out().contains("skip " + dependent + ": needs AWS credentials and a region (see: aws"
                    + " credentials)"), dependent + ": " + r.out());
        }
        assertTrue(r.err().contains("doctor: 1 of 14 checks failed: aws credentials"), r.err());

        Cli.Result right = cli.run("--region", "us-east-1", "doctor");
        assertTrue(right.out().contains("region us-east-1 from --region / cgrender.aws.region"), right.toString());
        assertEquals(0, right.code(), right.toString());
    }

    @Test
    void aSenderSesHasNotVerifiedFailsNamingTheAddressWithTheCommandThatVerifiesIt() throws IOException {
        configure(moto.endpoint(), "cgrender.notify.email = \"" + ME + "\"\n");
        Cli.Result r = cli.run("doctor");
        assertEquals(1, r.code(), r.toString());
        String fix = "aws ses verify-email-identity --email-address " + ME + " --region us-east-1";
        assertTrue(r.out().contains("FAIL mail: cannot mail " + ME + ": the sender " + ME + " is not a verified"
                + " identity of Amazon SES in us-east-1; verify it and click the link AWS mails to it, or set"
                + " cgrender.notify.from to a verified sender\n     fix: " + fix + "\n"), r.out());
        assertTrue(r.err().contains("doctor: 1 of 14 checks failed: mail"), r.err());

        Cli.Result json = cli.run("doctor", "--json");
        assertEquals(1, json.code(), json.toString());
        Map<String, Config> checks = checks(json.out());
        assertEquals("fail", checks.get("mail").getString("status"));
        assertTrue(checks.get("mail").getString("detail").contains("the sender " + ME + " is not a verified"),
                checks.get("mail").toString());
        assertEquals(fix, checks.get("mail").getString("fix"), checks.get("mail").toString());
        assertEquals("ok", checks.get("aws credentials").getString("status"));
        assertEquals("skipped", checks(cli.run("--json", "-c", writeNoMail(), "doctor").out()).get("mail")
                .getString("status"), "no mail configured: not applicable");

        Ec2TestKit.verifyEmail(moto, ME);
        assertEquals(0, cli.run("doctor").code(), "verified now");
    }

    @Test
    void callsAwsRefusesPointToThePermissionsDocumentation() throws IOException {
        try (AwsProxy proxy = AwsProxy.to(moto.endpoint())) {
            configure(proxy.endpoint(), "");
            proxy.faults().failNext("RunInstances", 1, 403, "UnauthorizedOperation", "You are not authorized to"
                    + " perform this operation.");
            proxy.faults().failNext("GetRole", 1, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/moto is"
                    + " not authorized to perform: iam:GetRole");
            Cli.Result r = cli.run("doctor");
            assertEquals(1, r.code(), r.toString());
            List<String> lines = r.out().lines().toList();
            int launch = indexOf(lines, "FAIL launch permission: AWS refused launching a c6i.large instance"
                    + " (RunInstances with DryRun) (UnauthorizedOperation: You are not authorized");
            assertEquals("     fix: allow ec2:RunInstances and ec2:CreateTags to the IAM user or role of these"
                    + " credentials", lines.get(launch + 1));
            assertEquals("     " + PERMISSIONS, lines.get(launch + 2));
            int profile = indexOf(lines, "warn instance profile: IAM refused to show role cgrender_tester_"
                    + " (AccessDenied: ");
            assertTrue(lines.get(profile).endsWith(": renders fall back to presigned URLs (the box cannot mail by"
                    + " itself; --after stop terminates)"), lines.get(profile));
            assertTrue(lines.get(profile + 1).contains("or set cgrender.ec2.results.box-access = presigned"),
                    lines.get(profile + 1));
            assertEquals("     " + PERMISSIONS, lines.get(profile + 2));
            assertTrue(r.err().contains("doctor: 1 of 14 checks failed: launch permission"), "a fallback that"
                    + " applies does not fail: " + r.err());
            assertEquals(1, proxy.calls("RunInstances").size(), "one dry run");
        }
    }

    @Test
    void anInstanceProfileRequiredByConfigurationFailsWhereIamRefuses() throws IOException {
        try (AwsProxy proxy = AwsProxy.to(moto.endpoint())) {
            configure(proxy.endpoint(), "cgrender.ec2.results.box-access = instance-profile\n");
            proxy.faults().failNext("GetRole", 1, 403, "AccessDenied", "not authorized to perform: iam:GetRole");
            Cli.Result r = cli.run("doctor", "--json");
            assertEquals(1, r.code(), r.toString());
            Config profile = checks(r.out()).get("instance profile");
            assertEquals("fail", profile.getString("status"), profile.toString());
            assertTrue(profile.getString("detail").endsWith("and cgrender.ec2.results.box-access ="
                    + " instance-profile"), profile.toString());
            assertEquals(PERMISSIONS.substring("see: ".length()), profile.getString("see"));
            assertFalse(ConfigFactory.parseString(r.out(), json()).getBoolean("passed"));
        }
    }

    private String writeNoMail() throws IOException {
        return Files.writeString(cli.root().resolve("no-mail.conf"), "cgrender.notify.email = \"\"\n").toString();
    }

    private static int indexOf(List<String> lines, String start) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(start)) {
                return i;
            }
        }
        throw new AssertionError("no line starting with '" + start + "' in:\n" + String.join("\n", lines));
    }

    private static Map<String, Config> checks(String json) {
        Map<String, Config> checks = new LinkedHashMap<>();
        ConfigFactory.parseString(json, json()).getConfigList("checks").forEach(c -> checks.put(c.getString("name"),
                c));
        return checks;
    }

    private static ConfigParseOptions json() {
        return ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON);
    }
}
