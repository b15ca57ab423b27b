package io.cgrender.ec2;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.Json;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Wait;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.LimitExceededException;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.Tag;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The namespace's IAM role and instance profile, {@code cgrender_<encoded namespace>} (path {@code /cgrender/}), which
 * every box gets at launch for its agent and which lets a box that renders with results in S3 store them: the box
 * then has short-lived credentials from its instance metadata, rotated by EC2, and nothing long-lived. The role may
 * do these things only:
 * <ul>
 *   <li>{@code s3:PutObject} below the namespace's part of each results location it was used with, in buckets of
 *       this account ({@code s3:ResourceAccount});</li>
 *   <li>{@code ses:SendEmail} from a sender to a recipient it was used with ({@code ses:FromAddress},
 *       {@code ses:Recipients});</li>
 *   <li>{@code ec2:StopInstances} of the box itself ({@code ec2:SourceInstanceARN} is the instance's own ARN, as in
 *       AWS's managed policy AWSEC2VssSnapshotPolicy), which carries the namespace's tag ({@code --after stop});</li>
 *   <li>{@code ec2:CreateTags} of the box itself, of the tags {@code cgrender:idle-since}, {@code cgrender:agent-pong},
 *       {@code cgrender:expires-at} and {@code cgrender:kept} only ({@code aws:TagKeys}): the watchdog tells clients
 *       since when the box has been idle, the agent answers pings and records an extended expiry and a keep;</li>
 *   <li>for the box agent ({@link AgentChannel}): {@code sqs:ReceiveMessage} and {@code sqs:DeleteMessage} of its own
 *       queue only (a queue of the namespace tagged with the box's own {@code aws:userid}), {@code sqs:GetQueueUrl}
 *       of the namespace's queues, and {@code ec2:DescribeKeyPairs}, which EC2 scopes to no resource.</li>
 * </ul>
 * It cannot read, list or delete results, and cannot start, terminate or launch anything. Each grant is an inline
 * policy of its own, named after its content ({@code cgrender-box-<store|mail|stop|idle|agent>-<hash of the
 * document>}): putting one never changes another, so clients that use the namespace with different locations or
 * senders at the same moment all end up granted, with no read-merge-write to lose one, and a policy whose name is not
 * its content's (an older cgrender's broader grant, or one changed since) is removed. Grants are otherwise never removed by a render, since
 * boxes of the namespace may be using them. A role of cgrender's name that trusts anything but EC2, has a managed
 * policy attached or an inline policy cgrender did not write is refused, never used. Clients making the role or the
 * instance profile at the same moment all succeed: IAM takes one create, the others use what it made (waiting while
 * IAM does not show it yet).
 */
final class BoxProfile {

    static final String PATH = "/cgrender/";
    /** The prefix of the role's inline policies (and the name of the one policy older versions wrote). */
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
        return name.substring(0, 51) + "_" + FileHashes.sha256Hex(name).substring(0, 12);
    }

    /** What the box may do: put objects below these ARNs' prefixes, send these mails. */
    record Grants(List<String> objectArns, List<Mail> mails) {
    }

    /** A mail a box may send: from {@code from} to {@code to} only. */
    record Mail(String from, String to) {
    }

    /**
     * Makes the role (trusting EC2), its policies (at least those of {@code grants}) and the instance profile holding
     * it; returns the instance profile's ARN.
     *
     * @throws SdkException as IAM answered, for the caller to tell a refusal from a failure
     */
    String ensure(Namespace namespace, Grants grants, String account) {
        String name = name(namespace);
        List<Tag> tags = List.of(Tag.builder().key(Tags.NAMESPACE).value(namespace.toString()).build());
        boolean createdRole = createRoleUnlessItExists(name, namespace, tags);
        grant(name, policies(namespace, grants, account, aws.partition()));
        InstanceProfile profile = instanceProfile(name, tags);
        holdRole(profile, name);
        if (createdRole) {
            console.status("created IAM role and instance profile " + name + " for the boxes of " + namespace
                    + " (they may only store results, send mail, stop themselves and hear their agent's queue)");
        }
        return profile.arn();
    }

    /** Makes the role unless it exists (or another client makes it at the same moment); whether this made it. */
    private boolean createRoleUnlessItExists(String name, Namespace namespace, List<Tag> tags) {
        Optional<Role> existing = role(name);
        if (existing.isPresent()) {
            requireCgrenders(existing.get());
            return false;
        }
        try {
            aws.iam().createRole(r -> r.roleName(name).path(PATH).tags(tags)
                    .description("cgrender boxes of " + namespace + ": store results, send mail, stop themselves")
                    .assumeRolePolicyDocument(TRUST));
            return true;
        } catch (EntityAlreadyExistsException raced) {
            return false;
        }
    }

    /**
     * Refuses a role of cgrender's name that cgrender would not have made: one that trusts anything but EC2, or has a
     * managed policy attached.
     */
    private void requireCgrenders(Role role) {
        String name = role.roleName();
        String trust = URLDecoder.decode(role.assumeRolePolicyDocument(), StandardCharsets.UTF_8);
        if (!canonical(trust).equals(canonical(TRUST))) {
            throw new CgrenderException("IAM role " + name + " trusts more or other than EC2 (" + trust + "), so"
                    + " cgrender will not give it to its boxes; delete the role or use another namespace")
                    .fix("aws iam delete-role --role-name " + name);
        }
        List<String> attached = aws.iam().listAttachedRolePoliciesPaginator(r -> r.roleName(name)).attachedPolicies()
                .stream().map(p -> p.policyArn()).toList();
        if (!attached.isEmpty()) {
            throw new CgrenderException("IAM role " + name + " has managed policies attached (" + String.join(", ",
                    attached) + "), so cgrender will not give it to its boxes; detach them or use another namespace")
                    .fix(attached.stream().map(arn -> "aws iam detach-role-policy --role-name " + name
                            + " --policy-arn " + arn).collect(java.util.stream.Collectors.joining(" && ")));
        }
    }

    /**
     * Puts each of {@code policies} (by name) the role does not have, after checking those it has: one cgrender did
     * not write is refused, one whose name is not its content's is removed. Waits while IAM does not show the role
     * yet.
     */
    private void grant(String role, Map<String, String> policies) {
        Set<String> present = Visibility.await("IAM role " + role, pollInterval, console.progress(),
                () -> policyNames(role));
        for (String policy : Set.copyOf(present)) {
            if (!policy.startsWith(POLICY + "-")) {
                throw foreignPolicy(role, policy);
            }
            Optional<String> document = policyDocument(role, policy);
            if (document.isPresent() && !isNamedByContent(policy, document.get())) {
                aws.iam().deleteRolePolicy(r -> r.roleName(role).policyName(policy));
                present.remove(policy);
                console.verbose("removed the outdated grant " + policy + " from IAM role " + role);
            }
        }
        policies.forEach((policy, document) -> {
            if (!present.contains(policy)) {
                aws.iam().putRolePolicy(r -> r.roleName(role).policyName(policy).policyDocument(document));
            }
        });
    }

    private static CgrenderException foreignPolicy(String role, String policy) {
        return new CgrenderException("IAM role " + role + " has an inline policy " + policy + " that cgrender did not"
                + " write, so cgrender will not give the role to its boxes; delete it or use another namespace")
                .fix("aws iam delete-role-policy --role-name " + role + " --policy-name " + policy);
    }

    /** The document of an inline policy, URL-decoded; empty when IAM does not show it (any more). */
    private Optional<String> policyDocument(String role, String policy) {
        try {
            return Optional.of(URLDecoder.decode(aws.iam().getRolePolicy(r -> r.roleName(role).policyName(policy))
                    .policyDocument(), StandardCharsets.UTF_8));
        } catch (NoSuchEntityException e) {
            return Optional.empty();
        }
    }

    /** The instance profile, made unless it exists (or another client makes it at the same moment). */
    private InstanceProfile instanceProfile(String name, List<Tag> tags) {
        Optional<InstanceProfile> existing = instanceProfile(name);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            return aws.iam().createInstanceProfile(r -> r.instanceProfileName(name).path(PATH).tags(tags))
                    .instanceProfile();
        } catch (EntityAlreadyExistsException raced) {
            return Visibility.await("instance profile " + name, pollInterval, console.progress(),
                    () -> instanceProfile(name));
        }
    }

    /**
     * Puts the role into the instance profile unless it holds it. An instance profile holds one role: when another
     * client put it in at the same moment, IAM says the profile is full, and this waits until it shows the role.
     */
    private void holdRole(InstanceProfile profile, String role) {
        if (holds(profile, role)) {
            return;
        }
        try {
            aws.iam().addRoleToInstanceProfile(r -> r.instanceProfileName(profile.instanceProfileName())
                    .roleName(role));
        } catch (LimitExceededException full) {
            InstanceProfile now = Visibility.await("the role of instance profile " + profile.instanceProfileName(),
                    pollInterval, console.progress(), () -> instanceProfile(profile.instanceProfileName())
                            .filter(p -> !p.roles().isEmpty()));
            if (!holds(now, role)) {
                throw new CgrenderException("instance profile " + profile.instanceProfileName() + " holds the role "
                        + now.roles().get(0).roleName() + ", not " + role + "; remove that role from it", full)
                        .fix("aws iam remove-role-from-instance-profile --instance-profile-name "
                        + profile.instanceProfileName() + " --role-name " + now.roles().get(0).roleName());
            }
        }
    }

    private static boolean holds(InstanceProfile profile, String role) {
        return profile.roles().stream().anyMatch(r -> role.equals(r.roleName()));
    }

    private Optional<Role> role(String name) {
        try {
            return Optional.of(aws.iam().getRole(r -> r.roleName(name)).role());
        } catch (NoSuchEntityException e) {
            return Optional.empty();
        }
    }

    private Optional<InstanceProfile> instanceProfile(String name) {
        try {
            return Optional.of(aws.iam().getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile());
        } catch (NoSuchEntityException e) {
            return Optional.empty();
        }
    }

    /** The names of the role's inline policies; empty while IAM does not know the role. */
    private Optional<Set<String>> policyNames(String role) {
        try {
            return Optional.of(new HashSet<>(aws.iam().listRolePoliciesPaginator(r -> r.roleName(role))
                    .policyNames().stream().toList()));
        } catch (NoSuchEntityException e) {
            return Optional.empty();
        }
    }

    /**
     * Gives {@code instance} the instance profile, unless it has it. Returns the ARN of the instance profile the
     * instance has now: another one when it had one of its own (an adopted instance), which it keeps. A profile IAM
     * just made may take some seconds to be usable by EC2, and a new instance to be known to it (and to leave
     * pending, at launch); the association is
     * retried meanwhile, backing off while EC2 throttles it.
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
        return AwsWait.until("waiting for IAM to make " + profileArn + " known to EC2", ASSOCIATE_TIMEOUT, pollInterval,
                console.progress(), () -> {
                    try {
                        aws.ec2().associateIamInstanceProfile(r -> r.instanceId(instance.instanceId())
                                .iamInstanceProfile(p -> p.arn(profileArn)));
                        console.verbose("gave " + instance.instanceId() + " the instance profile " + profileArn);
                        return Wait.Poll.ready(profileArn);
                    } catch (SdkException e) {
                        if (AwsErrors.is(e, "InvalidParameterValue")
                                && String.valueOf(e.getMessage()).contains("nstance Profile")
                                || AwsErrors.is(e, "InvalidInstanceID.NotFound", "IncorrectInstanceState")) {
                            return Wait.Poll.notYet(AwsErrors.summary(e));
                        }
                        throw e;
                    }
                });
    }

    /**
     * What a render would find of the namespace's role and instance profile, changing nothing: empty when the role
     * does not exist yet (the first render makes it), else what there is. A role a render would refuse (one that
     * trusts more than EC2, has a managed policy attached or an inline policy cgrender did not write) is refused here
     * too.
     *
     * @throws SdkException as IAM answered, for the caller to tell a refusal from a failure
     */
    Optional<String> inspect(Namespace namespace) {
        String name = name(namespace);
        Optional<Role> role = role(name);
        if (role.isEmpty()) {
            return Optional.empty();
        }
        requireCgrenders(role.get());
        Set<String> policies = policyNames(name).orElse(Set.of());
        for (String policy : policies) {
            if (!policy.startsWith(POLICY + "-")) {
                throw foreignPolicy(name, policy);
            }
        }
        Optional<InstanceProfile> profile = instanceProfile(name);
        return Optional.of("IAM role " + name + " (" + policies.size() + " grant(s)) " + (profile.isEmpty()
                ? "exists; the next render makes its instance profile" : holds(profile.get(), name)
                ? "and its instance profile exist" : "exists; the next render puts it into its instance profile"));
    }

    /** The unique id IAM gave the namespace's role ({@code AROA…}): the first half of its boxes' aws:userid. */
    String roleId(Namespace namespace) {
        return role(name(namespace)).orElseThrow(() -> new CgrenderException("IAM does not show the role "
                + name(namespace) + " that was just made; run the command again")).roleId();
    }

    /** Whether the role or instance profile {@code name} exists; false too when IAM may not be asked. */
    boolean exists(String name) {
        try {
            return role(name).isPresent() || instanceProfile(name).isPresent();
        } catch (SdkException e) {
            if (AwsErrors.is(e, "AccessDenied", "AccessDeniedException")) {
                return false; // nobody who may not read IAM had cgrender make a role
            }
            throw aws.explain("looking up IAM role " + name, e);
        }
    }

    /** Removes the instance profile and role {@code name} with its policies; what is already gone is skipped. */
    void delete(String name) {
        ignoringMissing(() -> aws.iam().removeRoleFromInstanceProfile(r -> r.instanceProfileName(name).roleName(name)));
        ignoringMissing(() -> aws.iam().deleteInstanceProfile(r -> r.instanceProfileName(name)));
        ignoringMissing(() -> policyNames(name).orElse(Set.of()).forEach(policy -> ignoringMissing(
                () -> aws.iam().deleteRolePolicy(r -> r.roleName(name).policyName(policy)))));
        ignoringMissing(() -> aws.iam().deleteRole(r -> r.roleName(name)));
    }

    private void ignoringMissing(Runnable call) {
        try {
            call.run();
        } catch (NoSuchEntityException gone) {
            // already gone
        } catch (SdkException e) {
            throw aws.explain("removing an IAM role or instance profile of cgrender", e);
        }
    }

    static final String TRUST = Json.write(Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
            "Effect", "Allow", "Principal", Map.of("Service", "ec2.amazonaws.com"), "Action", "sts:AssumeRole"))));

    /**
     * The role's inline policies for {@code grants}, by name: one per location, one per mail, one to stop, each named
     * after its kind and content.
     */
    static Map<String, String> policies(Namespace namespace, Grants grants, String account, String partition) {
        Map<String, String> policies = new TreeMap<>();
        for (String arn : grants.objectArns()) {
            put(policies, "store", statement("StoreResults", List.of("s3:PutObject"), List.of(arn),
                    Map.of("StringEquals", Map.of("s3:ResourceAccount", account))));
        }
        for (Mail mail : grants.mails()) {
            Map<String, Object> condition = new LinkedHashMap<>();
            condition.put("StringEquals", Map.of("ses:FromAddress", mail.from()));
            condition.put("ForAllValues:StringEquals", Map.of("ses:Recipients", List.of(mail.to())));
            condition.put("Null", Map.of("ses:Recipients", "false"));
            put(policies, "mail", statement("SendMail", List.of("ses:SendEmail"), List.of("*"), condition));
        }
        String instances = "arn:" + partition + ":ec2:*:" + account + ":instance/";
        Map<String, Object> self = new LinkedHashMap<>();
        self.put("StringEquals", Map.of("aws:ResourceTag/" + Tags.NAMESPACE, namespace.toString()));
        self.put("ArnLike", Map.of("ec2:SourceInstanceARN", instances + "${ec2:InstanceId}"));
        put(policies, "stop", statement("StopItself", List.of("ec2:StopInstances"), List.of(instances + "*"), self));
        Map<String, Object> idleTag = new LinkedHashMap<>(self);
        idleTag.put("ForAllValues:StringEquals", Map.of("aws:TagKeys", List.of(Tags.IDLE_SINCE, Tags.AGENT_PONG,
                Tags.EXPIRES_AT, Tags.KEPT)));
        idleTag.put("Null", Map.of("aws:TagKeys", "false"));
        put(policies, "idle", statement("ReportIdleTimer", List.of("ec2:CreateTags"), List.of(instances + "*"),
                idleTag));
        put(policies, "agent", agentStatements(namespace, account, partition));
        return policies;
    }

    /**
     * What the box agent may do: receive and delete the messages of its own queue (one of the namespace's queues,
     * tagged as the queue of this very role session, {@code <role id>:<instance id>}, which is what IAM calls an
     * instance's {@code aws:userid}), look up the URL of the namespace's queues, and read the key pairs (EC2 scopes
     * DescribeKeyPairs to no resource).
     */
    private static List<Map<String, Object>> agentStatements(Namespace namespace, String account, String partition) {
        String queues = "arn:" + partition + ":sqs:*:" + account + ":" + AgentChannel.queuePrefix(namespace) + "*";
        return List.of(
                statement("ReceiveOwnCommands", List.of("sqs:ReceiveMessage", "sqs:DeleteMessage"), List.of(queues),
                        Map.of("StringEquals", Map.of("aws:ResourceTag/" + Tags.AGENT_OF, "${aws:userid}"))),
                statement("FindOwnQueue", List.of("sqs:GetQueueUrl"), List.of(queues), null),
                statement("ReadNamespaceKeys", List.of("ec2:DescribeKeyPairs"), List.of("*"), null));
    }

    private static void put(Map<String, String> policies, String kind, Map<String, Object> statement) {
        put(policies, kind, List.of(statement));
    }

    private static void put(Map<String, String> policies, String kind, List<Map<String, Object>> statements) {
        String document = document(statements);
        policies.put(policyName(kind, document), document);
    }

    /** {@code cgrender-box-<kind>-<hash of the document's content>}. */
    private static String policyName(String kind, String document) {
        return POLICY + "-" + kind + "-" + FileHashes.sha256Hex(canonical(document)).substring(0, 16);
    }

    /** Whether {@code policy} is the name cgrender gives {@code document}: a grant of this cgrender, unchanged. */
    static boolean isNamedByContent(String policy, String document) {
        try {
            return List.of("store", "mail", "stop", "idle", "agent").stream()
                    .anyMatch(k -> policyName(k, document).equals(policy));
        } catch (RuntimeException notJson) {
            return false;
        }
    }

    /** A JSON document with its object keys sorted, whatever its layout: two documents that mean the same are equal. */
    static String canonical(String json) {
        return Json.write(sorted(ConfigFactory.parseString(json, ConfigParseOptions.defaults()
                .setSyntax(ConfigSyntax.JSON)).root().unwrapped()));
    }

    private static Object sorted(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new TreeMap<>();
            map.forEach((k, v) -> out.put(k.toString(), sorted(v)));
            return out;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(BoxProfile::sorted).toList();
        }
        return value;
    }

    private static String document(List<Map<String, Object>> statements) {
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
}
