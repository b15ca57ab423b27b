package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.delivery.EmailAddress;
import io.cgrender.core.doctor.Check;
import io.cgrender.core.doctor.CheckList;
import io.cgrender.core.doctor.CheckResult;
import io.cgrender.core.doctor.CheckTarget;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code cgrender doctor} checks of the EC2 cloud: whatever a render there needs, asked of AWS the way the
 * render asks it, through the same code ({@link AwsClients}, {@link BaseImages}, {@link NamespaceSecurityGroup},
 * {@link ResultBucket}, {@link Mail}, {@link BoxProfile}), making and changing nothing. The first check opens the AWS
 * clients, which is where a missing region or missing credentials fail; the others are skipped then. A call AWS
 * refuses for a permission fails with the permission to grant and where the ready policies are.
 */
final class Ec2Checks implements AutoCloseable {

    /** Where the permissions cgrender needs are documented, with policies ready to attach. */
    static final String PERMISSIONS = "README.md#aws-permissions (ready policies in docs/iam/)";

    private final CloudContext context;
    private final Optional<CheckTarget> launch;
    private final Console console;
    private Ec2Settings settings;
    private AwsClients aws;
    private BaseImages.BaseImage image;

    private Ec2Checks(CloudContext context, Optional<CheckTarget> launch) {
        this.context = context;
        this.launch = launch;
        this.console = context.console();
    }

    static CheckList of(CloudContext context, Optional<CheckTarget> launch) {
        Ec2Checks checks = new Ec2Checks(context, launch);
        return new CheckList(List.of(
                Check.of("aws credentials", checks::credentials),
                Check.of("vpc and subnet", () -> checks.withClients(checks::network)),
                Check.of("base image", () -> checks.withClients(checks::baseImage)),
                Check.of("launch permission", () -> checks.withClients(checks::launchPermission)),
                Check.of("ssh access", () -> checks.withClients(checks::sshAccess)),
                Check.of("results bucket", () -> checks.withClients(checks::resultsBucket)),
                Check.of("mail", () -> checks.withClients(checks::mail)),
                Check.of("instance profile", () -> checks.withClients(checks::instanceProfile))), checks);
    }

    /** Opens the clients as the cloud does (region, credentials) and asks STS whose credentials they are. */
    private CheckResult credentials() {
        try {
            settings = Ec2Settings.from(context.settings());
            aws = AwsClients.open(settings, context.env());
        } catch (CgrenderException e) {
            CheckResult failed = CheckResult.failure(e);
            return failed.fix().isPresent() ? failed : failed.withFix(e.getMessage().contains("AWS region")
                    ? "name a region EC2 has, e.g. us-east-1, with --region, AWS_REGION or cgrender.aws.region (the"
                    + " list: aws ec2 describe-regions)"
                    : settings == null ? "correct the setting named above in " + context.dirs().userConfigFile()
                    : "aws configure" + settings.profile().map(p -> " --profile " + p).orElse(""));
        }
        try {
            GetCallerIdentityResponse who = aws.sts().getCallerIdentity();
            AwsClients.Sources from = aws.sources();
            return CheckResult.ok("account " + who.account() + " (" + who.arn() + "), credentials from "
                    + from.credentials() + "; region " + aws.region().id() + " from " + from.region()
                    + aws.endpoint().map(uri -> "; endpoint " + uri).orElse(""));
        } catch (SdkException e) {
            CheckResult failed = failed("asking AWS STS who these credentials belong to", e, "sts:GetCallerIdentity",
                    "check the credentials: aws sts get-caller-identity" + settings.profile().map(p -> " --profile "
                            + p).orElse(""));
            close(); // the other checks would only meet the same refusal
            aws = null;
            return failed;
        }
    }

    /** Runs {@code check} if the clients opened; skips it otherwise (the credentials check said why). */
    private CheckResult withClients(Supplier<CheckResult> check) {
        if (aws == null) {
            return CheckResult.skipped("needs AWS credentials and a region (see: aws credentials)");
        }
        try {
            return check.get();
        } catch (CgrenderException e) {
            return failed("", e, null, null);
        }
    }

    /** The configured subnet, or the default VPC (whose default subnets RunInstances picks from). */
    private CheckResult network() {
        String region = aws.region().id();
        try {
            String vpc = securityGroups().vpcId();
            return CheckResult.ok(settings.subnet().map(s -> "subnet " + s + " (cgrender.ec2.subnet) in " + vpc)
                    .orElse("default VPC " + vpc + " (cgrender.ec2.subnet is empty)"));
        } catch (RuntimeException e) {
            return failed("looking up the VPC", e, "ec2:DescribeVpcs and ec2:DescribeSubnets", settings.subnet()
                    .isPresent() ? "set cgrender.ec2.subnet to a subnet of " + region + " (see them: aws ec2"
                    + " describe-subnets --region " + region + "), or to \"\" for the default VPC"
                    : "aws ec2 create-default-vpc --region " + region + ", or set cgrender.ec2.subnet to a subnet of"
                    + " yours in " + region);
        }
    }

    /** The render role's base image, as a launch resolves it (role image, cgrender.ec2.image, SSM, newest). */
    private CheckResult baseImage() {
        if (launch.isEmpty()) {
            return CheckResult.skipped("no render role to check (see: plugins, cgrender.render.role)");
        }
        try {
            image = new BaseImages(aws, settings, console).resolve(launch.get().role(), launch.get().machine().os());
            return CheckResult.ok(image.id() + " (" + image.image().name() + "), from " + image.source() + ", for "
                    + launch.get().role());
        } catch (RuntimeException e) {
            return failed("looking up the base image", e, "ec2:DescribeImages and ssm:GetParameter",
                    "set cgrender.ec2.image to an AMI of " + aws.region().id() + ", or to \"\" for Ubuntu's current"
                    + " LTS image");
        }
    }

    /** RunInstances of the render role's box as a dry run: what IAM (and EC2) would say to a launch. */
    private CheckResult launchPermission() {
        if (image == null) {
            return CheckResult.skipped("needs the base image (see: base image)");
        }
        String role = launch.get().role();
        Optional<String> type = settings.roleDefault(role, "instance-type")
                .or(() -> launch.get().machine().recommendedInstanceType());
        if (type.isEmpty()) {
            return CheckResult.skipped("role " + role + " recommends no instance type, and none is saved for it");
        }
        Map<String, String> tags = Map.of(Tags.NAMESPACE, context.namespace().toString(), Tags.ROLE, role);
        try {
            List<Instance> launched = aws.ec2().runInstances(r -> r.dryRun(true).imageId(image.id())
                    .instanceType(type.get()).minCount(1).maxCount(1).subnetId(settings.subnet().orElse(null))
                    .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
                    .metadataOptions(m -> m.httpTokens(HttpTokensState.REQUIRED))
                    .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE)
                                    .tags(Ec2Cloud.toTags(tags)).build(),
                            TagSpecification.builder().resourceType(ResourceType.VOLUME)
                                    .tags(Ec2Cloud.toTags(tags)).build())).instances();
            // EC2 launches nothing on a dry run; an endpoint that did anyway gets its instances back at once
            launched.forEach(i -> aws.run("terminating " + i.instanceId(), () -> aws.ec2().terminateInstances(
                    t -> t.instanceIds(i.instanceId()))));
            return CheckResult.fail(aws.where() + " ignored DryRun and launched " + launched.stream()
                    .map(Instance::instanceId).toList() + " (terminated)", "point cgrender.aws.endpoint at EC2");
        } catch (SdkException e) {
            if (AwsErrors.is(e, "DryRunOperation")) {
                return CheckResult.ok("EC2 would launch a " + type.get() + " from " + image.id() + " (RunInstances"
                        + " with DryRun)");
            }
            return failed("launching a " + type.get() + " instance (RunInstances with DryRun)", e,
                    "ec2:RunInstances and ec2:CreateTags", "ask EC2 yourself: aws ec2 run-instances --dry-run"
                    + " --image-id " + image.id() + " --instance-type " + type.get() + " --region "
                    + aws.region().id());
        }
    }

    /** Who the namespace's security group lets SSH in: the configured CIDRs, or this machine's public address. */
    private CheckResult sshAccess() {
        try {
            List<String> cidrs = securityGroups().cidrs();
            return CheckResult.ok(settings.sshCidrs().isEmpty()
                    ? "boxes let SSH in from this machine's public address " + String.join(", ", cidrs) + " (as "
                    + settings.publicIpUrl() + " sees it)"
                    : "boxes let SSH in from " + String.join(", ", cidrs) + " (cgrender.ec2.ssh-cidrs)");
        } catch (CgrenderException e) {
            return CheckResult.fail(e.getMessage(), "put your address in " + context.dirs().userConfigFile()
                    + ", e.g.: cgrender.ec2.ssh-cidrs = [\"203.0.113.7/32\"]");
        }
    }

    /** The configured results location, or cgrender's own bucket of the namespace: there, in the region, ours. */
    private CheckResult resultsBucket() {
        Namespace namespace = context.namespace();
        String region = aws.region().id();
        try {
            ResultSettings results = ResultSettings.from(context.settings());
            ResultBucket buckets = new ResultBucket(aws, console, settings.pollInterval());
            Optional<S3Location> found = buckets.existing(results.location(), "cgrender.results.location",
                    namespace);
            String ours = "in " + region + ", owned by account " + buckets.account();
            if (results.location().isPresent()) {
                return CheckResult.ok(found.orElseThrow() + " (cgrender.results.location): " + ours);
            }
            return CheckResult.ok(found.map(l -> l + " (cgrender's bucket of " + namespace + "): " + ours)
                    .orElse("s3://" + ResultBucket.defaultName(buckets.account(), region, namespace) + "/ does not"
                            + " exist yet: the first render on EC2 makes it (private, public access blocked)"));
        } catch (RuntimeException e) {
            return failed("checking the results bucket", e, "s3:ListBucket, s3:GetBucketLocation and"
                    + " s3:ListAllMyBuckets", "set cgrender.results.location to s3://A-BUCKET-OF-YOURS in " + region
                    + ", or to \"\" for cgrender's own bucket");
        }
    }

    /** The configured sender and recipient, as SES would judge them (verified; the sandbox). */
    private CheckResult mail() {
        ResultSettings results = ResultSettings.from(context.settings());
        String email = context.settings().string("cgrender.notify.email");
        if (email.isBlank() && results.sender().isEmpty()) {
            return CheckResult.skipped("no mail configured (cgrender.notify.email); render --email ADDR checks its"
                    + " address when used");
        }
        EmailAddress to = email.isBlank() ? results.sender().get() : EmailAddress.parse(email,
                "cgrender.notify.email");
        try {
            Optional<Mail.Refusal> refusal = new Mail(aws).refusal(to, results.sender());
            if (refusal.isPresent()) {
                return CheckResult.fail("cannot mail " + to + ": " + refusal.get().problem(), refusal.get().fix());
            }
            EmailAddress from = results.sender().orElse(to);
            return CheckResult.ok(email.isBlank() ? "the sender " + from + " (cgrender.notify.from) is verified"
                    + " with Amazon SES in " + aws.region().id() : from + " may mail " + to + " through Amazon SES in "
                    + aws.region().id());
        } catch (RuntimeException e) {
            return failed("asking Amazon SES about " + to, e, "ses:GetIdentityVerificationAttributes and"
                    + " ses:GetSendQuota", null);
        }
    }

    /**
     * The namespace's IAM role, which renders give their boxes: there and cgrender's, or not made yet; where IAM may
     * not be asked, renders fall back to presigned URLs (unless box-access says instance-profile).
     */
    private CheckResult instanceProfile() {
        ResultSettings.BoxAccess access = ResultSettings.from(context.settings()).boxAccess();
        if (access == ResultSettings.BoxAccess.PRESIGNED) {
            return CheckResult.ok("cgrender.ec2.results.box-access = presigned: boxes store results with presigned"
                    + " URLs and hold no credentials (they cannot mail by themselves; --after stop terminates)");
        }
        String name = BoxProfile.name(context.namespace());
        try {
            Optional<String> found = new BoxProfile(aws, console, settings.pollInterval()).inspect(context.namespace());
            return CheckResult.ok(found.orElse("IAM role " + name + " does not exist yet: the first render on EC2"
                    + " makes it and its instance profile"));
        } catch (RuntimeException e) {
            Optional<AwsServiceException> denied = AwsErrors.denied(e);
            if (denied.isEmpty()) {
                return failed("looking up IAM role " + name, e, null, null);
            }
            String detail = "IAM refused to show role " + name + " (" + AwsErrors.summary(denied.get()) + ")";
            String fix = "allow these credentials iam:GetRole, iam:CreateRole, iam:PutRolePolicy,"
                    + " iam:CreateInstanceProfile, iam:AddRoleToInstanceProfile, iam:PassRole and"
                    + " ec2:AssociateIamInstanceProfile, or set cgrender.ec2.results.box-access = presigned";
            return (access == ResultSettings.BoxAccess.AUTO ? CheckResult.warn(detail + ": renders fall back to"
                    + " presigned URLs (the box cannot mail by itself; --after stop terminates)", fix)
                    : CheckResult.fail(detail + ", and cgrender.ec2.results.box-access = instance-profile", fix))
                    .withSee(PERMISSIONS);
        }
    }

    private NamespaceSecurityGroup securityGroups() {
        return new NamespaceSecurityGroup(aws, settings, console);
    }

    /**
     * A failure {@code doing} something: a refused permission names what to allow ({@code permissions}) and where the
     * ready policies are; anything else says what AWS said, with the failure's own fix, else {@code fix}.
     */
    private CheckResult failed(String doing, RuntimeException e, String permissions, String fix) {
        Optional<AwsServiceException> denied = AwsErrors.denied(e);
        if (denied.isPresent()) {
            return CheckResult.fail("AWS refused " + (doing.isEmpty() ? "a call" : doing) + " ("
                    + AwsErrors.summary(denied.get()) + ")", permissions == null
                    ? "allow it to the IAM user or role of these credentials"
                    : "allow " + permissions + " to the IAM user or role of these credentials").withSee(PERMISSIONS);
        }
        CheckResult failed = e instanceof SdkException sdk ? CheckResult.failure(aws.explain(doing, sdk))
                : e instanceof CgrenderException c ? CheckResult.failure(c)
                : CheckResult.fail(doing + " failed: " + e.getMessage());
        return fix == null || failed.fix().isPresent() ? failed : failed.withFix(fix);
    }

    @Override
    public void close() {
        if (aws != null) {
            aws.close();
        }
    }
}
