package io.cgrender.ec2;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.Json;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.Tag;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The namespace's IAM role and instance profile, {@code cgrender_<encoded namespace>} (path {@code /cgrender/}), which
 * a box gets when it renders with results in S3: the box then has short-lived credentials from its instance metadata,
 * rotated by EC2, and nothing long-lived. The role may do three things only:
 * <ul>
 *   <li>{@code s3:PutObject} below the namespace's prefix of each results location it was used with;</li>
 *   <li>{@code ses:SendEmail}/{@code SendRawEmail} from the senders it was used with ({@code ses:FromAddress});</li>
 *   <li>{@code ec2:StopInstances} of instances tagged with the namespace ({@code --after stop}).</li>
 * </ul>
 * It cannot read, list or delete results, and cannot start, terminate or launch anything. The policy grows as the
 * namespace uses more locations or senders; grants are never removed by a render, since boxes of the namespace may be
 * using them.
 */
final class BoxProfile {

    static final String PATH = "/cgrender/";
    static final String POLICY = "cgrender-box";
    private static final Duration ASSOCIATE_TIMEOUT = Duration.ofSeconds(90);

    private final AwsClients aws;
    private final Console console;
    private final Duration pollInterval;

    BoxProfile(AwsClients aws, Console console, Duration pollInterval) {
        this.aws = aws;
        this.console = console;
        this.pollInterval = pollInterval;
    }

    /** The role and instance profile name of {@code namespace} (IAM allows 64 characters). */
    static String name(Namespace namespace) {
        String name = "cgrender" + namespace.encoded();
        if (name.length() <= 64) {
            return name;
        }
        String hash = java.util.HexFormat.of().formatHex(io.cgrender.core.sync.FileHashes.sha256digest(
                name.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        return name.substring(0, 51) + "_" + hash;
    }

    /** What the box may do: put objects below these ARNs' prefixes, mail from these senders. */
    record Grants(List<String> objectArns, List<String> senders) {
    }

    /**
     * Makes the role (trusting EC2), its policy (with at least {@code grants}) and the instance profile holding it;
     * returns the instance profile's ARN.
     *
     * @throws SdkException as IAM answered, for the caller to tell a refusal from a failure
     */
    String ensure(Namespace namespace, Grants grants, String account) {
        String name = name(namespace);
        List<Tag> tags = List.of(Tag.builder().key(Tags.NAMESPACE).value(namespace.toString()).build());
        boolean createdRole = false;
        try {
            aws.iam().getRole(r -> r.roleName(name));
        } catch (software.amazon.awssdk.services.iam.model.NoSuchEntityException e) {
            aws.iam().createRole(r -> r.roleName(name).path(PATH).tags(tags)
                    .description("cgrender boxes of " + namespace + ": store results, send mail, stop themselves")
                    .assumeRolePolicyDocument(TRUST));
            createdRole = true;
        }
        Optional<Grants> current = createdRole ? Optional.empty() : currentGrants(name);
        Grants wanted = merged(grants, current);
        String policy = policy(namespace, wanted, account, partition());
        if (current.isEmpty() || !wanted.equals(merged(current.get(), Optional.empty()))) {
            aws.iam().putRolePolicy(r -> r.roleName(name).policyName(POLICY).policyDocument(policy));
        }
        InstanceProfile profile;
        try {
            profile = aws.iam().getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile();
        } catch (software.amazon.awssdk.services.iam.model.NoSuchEntityException e) {
            profile = aws.iam().createInstanceProfile(r -> r.instanceProfileName(name).path(PATH).tags(tags))
                    .instanceProfile();
        }
        if (profile.roles().stream().noneMatch(role -> name.equals(role.roleName()))) {
            aws.iam().addRoleToInstanceProfile(r -> r.instanceProfileName(name).roleName(name));
        }
        if (createdRole) {
            console.status("created IAM role and instance profile " + name + " for the boxes of " + namespace
                    + " (they may only store results, send mail and stop themselves)");
        }
        return profile.arn();
    }

    /**
     * Gives {@code instance} the instance profile, unless it has it. Returns the ARN of the instance profile the
     * instance has now: another one when it had one of its own (an adopted instance), which it keeps. A profile IAM
     * just made may take some seconds to be usable by EC2; the association is retried meanwhile.
     *
     * @throws SdkException as EC2 answered, e.g. when {@code iam:PassRole} is not allowed
     */
    String attach(Instance instance, String profileArn) {
        Optional<String> current = aws.ec2().describeIamInstanceProfileAssociationsPaginator(r -> r.filters(
                        Filter.builder().name("instance-id").values(instance.instanceId()).build(),
                        Filter.builder().name("state").values("associating", "associated").build()))
                .iamInstanceProfileAssociations().stream()
                .map(a -> a.iamInstanceProfile().arn()).findFirst();
        if (current.isPresent()) {
            return current.get();
        }
        long deadline = System.nanoTime() + ASSOCIATE_TIMEOUT.toNanos();
        while (true) {
            try {
                aws.ec2().associateIamInstanceProfile(r -> r.instanceId(instance.instanceId())
                        .iamInstanceProfile(p -> p.arn(profileArn)));
                console.verbose("gave " + instance.instanceId() + " the instance profile " + profileArn);
                return profileArn;
            } catch (SdkException e) {
                boolean notYet = AwsErrors.is(e, "InvalidParameterValue")
                        && String.valueOf(e.getMessage()).contains("nstance Profile");
                if (!notYet || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                console.verbose("waiting for IAM to make " + profileArn + " known to EC2");
                sleep();
            }
        }
    }

    /** Whether the role or instance profile {@code name} exists; false too when IAM may not be asked. */
    boolean exists(String name) {
        try {
            aws.iam().getRole(r -> r.roleName(name));
            return true;
        } catch (software.amazon.awssdk.services.iam.model.NoSuchEntityException e) {
            try {
                aws.iam().getInstanceProfile(r -> r.instanceProfileName(name));
                return true;
            } catch (software.amazon.awssdk.services.iam.model.NoSuchEntityException gone) {
                return false;
            }
        } catch (SdkException e) {
            if (AwsErrors.is(e, "AccessDenied", "AccessDeniedException")) {
                return false; // nobody who may not read IAM had cgrender make a role
            }
            throw aws.explain("looking up IAM role " + name, e);
        }
    }

    /** Removes the instance profile and role {@code name} with its policy; what is already gone is skipped. */
    void delete(String name) {
        ignoringMissing(() -> aws.iam().removeRoleFromInstanceProfile(r -> r.instanceProfileName(name).roleName(name)));
        ignoringMissing(() -> aws.iam().deleteInstanceProfile(r -> r.instanceProfileName(name)));
        ignoringMissing(() -> aws.iam().deleteRolePolicy(r -> r.roleName(name).policyName(POLICY)));
        ignoringMissing(() -> aws.iam().deleteRole(r -> r.roleName(name)));
    }

    private void ignoringMissing(Runnable call) {
        try {
            call.run();
        } catch (software.amazon.awssdk.services.iam.model.NoSuchEntityException gone) {
            // already gone
        } catch (SdkException e) {
            throw aws.explain("removing an IAM role or instance profile of cgrender", e);
        }
    }

    static final String TRUST = Json.write(Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
            "Effect", "Allow", "Principal", Map.of("Service", "ec2.amazonaws.com"), "Action", "sts:AssumeRole"))));

    /** The role's policy document. */
    static String policy(Namespace namespace, Grants grants, String account, String partition) {
        List<Object> statements = new ArrayList<>();
        statements.add(statement("StoreResults", List.of("s3:PutObject"), grants.objectArns(), null));
        if (!grants.senders().isEmpty()) {
            statements.add(statement("SendMail", List.of("ses:SendEmail", "ses:SendRawEmail"), List.of("*"),
                    Map.of("StringEquals", Map.of("ses:FromAddress", grants.senders()))));
        }
        statements.add(statement("StopBoxesOfTheNamespace", List.of("ec2:StopInstances"),
                List.of("arn:" + partition + ":ec2:*:" + account + ":instance/*"),
                Map.of("StringEquals", Map.of("aws:ResourceTag/" + Tags.NAMESPACE, namespace.toString()))));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("Version", "2012-10-17");
        doc.put("Statement", statements);
        return Json.write(doc);
    }

    private static Map<String, Object> statement(String sid, List<String> actions, List<String> resources,
                                                 Map<String, Object> condition) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Sid", sid);
        s.put("Effect", "Allow");
        s.put("Action", actions);
        s.put("Resource", resources);
        if (condition != null) {
            s.put("Condition", condition);
        }
        return s;
    }

    /** The grants of the role's policy now, if it has one. */
    private Optional<Grants> currentGrants(String name) {
        String document;
        try {
            document = aws.iam().getRolePolicy(r -> r.roleName(name).policyName(POLICY)).policyDocument();
        } catch (software.amazon.awssdk.services.iam.model.NoSuchEntityException e) {
            return Optional.empty();
        }
        return Optional.of(parse(document.startsWith("%") ? URLDecoder.decode(document, StandardCharsets.UTF_8)
                : document));
    }

    /** The grants of a policy document this class wrote. */
    static Grants parse(String document) {
        List<String> arns = new ArrayList<>();
        List<String> senders = new ArrayList<>();
        try {
            var doc = ConfigFactory.parseString(document, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
            for (var s : doc.getObjectList("Statement")) {
                Object sid = s.get("Sid") == null ? null : s.get("Sid").unwrapped();
                if ("StoreResults".equals(sid)) {
                    arns.addAll(strings(s.get("Resource")));
                } else if ("SendMail".equals(sid)) {
                    senders.addAll(strings(s.toConfig().getObject("Condition").toConfig().getObject("StringEquals")
                            .get("ses:FromAddress")));
                }
            }
        } catch (RuntimeException e) {
            // not a document cgrender wrote: start over from what this render needs
        }
        return new Grants(arns, senders);
    }

    private static List<String> strings(ConfigValue value) {
        if (value == null) {
            return List.of();
        }
        Object v = value.unwrapped();
        return v instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of(String.valueOf(v));
    }

    private static Grants merged(Grants wanted, Optional<Grants> current) {
        TreeSet<String> arns = new TreeSet<>(wanted.objectArns());
        TreeSet<String> senders = new TreeSet<>(wanted.senders());
        current.ifPresent(c -> {
            arns.addAll(c.objectArns());
            senders.addAll(c.senders());
        });
        return new Grants(List.copyOf(arns), List.copyOf(senders));
    }

    private String partition() {
        try {
            return aws.region().metadata().partition().id();
        } catch (RuntimeException e) {
            return "aws";
        }
    }

    private void sleep() {
        try {
            Thread.sleep(Math.max(500, pollInterval.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while giving a box its instance profile", e);
        }
    }
}
