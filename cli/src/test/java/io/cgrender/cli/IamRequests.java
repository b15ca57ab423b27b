package io.cgrender.cli;

import io.cgrender.testkit.AwsProxy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What IAM authorizes for each AWS call cgrender made, as AWS documents it (the Service Authorization Reference): the
 * action or actions, the resource's ARN and the request's condition keys. One call may need several: RunInstances is
 * authorized on each resource it uses and, when it tags what it makes, {@code ec2:CreateTags} with
 * {@code ec2:CreateAction}; AddRoleToInstanceProfile and AssociateIamInstanceProfile need {@code iam:PassRole} on the
 * role; an S3 HEAD is the GET it stands for; creating an SNS topic or an SQS queue with tags also needs
 * {@code sns:TagResource} or {@code sqs:TagQueue}. A call it does not know fails the test, so a new call cannot slip
 * past the policies unmapped.
 * <p>
 * Resource tags ({@code aws:ResourceTag/cgrender:namespace}) are the ones a resource had when the call was made, as
 * far as this knows: what moto showed after any earlier command ({@link #remember}) and what earlier calls tagged.
 */
final class IamRequests {

    static final String NAMESPACE_TAG = "cgrender:namespace";

    /** One authorization IAM makes for a call. */
    record Request(String action, String resource, Map<String, List<String>> context, AwsProxy.Call call) {
        @Override
        public String toString() {
            return action + " on " + resource + (context.isEmpty() ? "" : " with " + context) + " (for "
                    + call.service() + " " + call.action() + ")";
        }
    }

    private static final Pattern MEMBER = Pattern.compile("(.+)\\.(\\d+)");

    private final String region;
    private final String account;
    private final String iamPath;
    /** Resource id (instance, image, snapshot, group id; key pair name) → its cgrender:namespace tag. */
    private final Map<String, String> namespaces = new HashMap<>();
    /** Role or instance profile name → its IAM path, as cgrender created it. */
    private final Map<String, String> paths = new HashMap<>();

    /** @param iamPath the path cgrender gives the roles and instance profiles it creates */
    IamRequests(String region, String account, String iamPath) {
        this.region = region;
        this.account = account;
        this.iamPath = iamPath;
    }

    /** Remembers that {@code id} carries (or carried) the namespace tag {@code namespace}. */
    void remember(String id, String namespace) {
        namespaces.put(id, namespace);
    }

    /** The authorizations of {@code calls}, in order; what a call tags is known to the calls after it. */
    List<Request> of(List<AwsProxy.Call> calls) {
        List<Request> requests = new ArrayList<>();
        for (AwsProxy.Call c : calls) {
            requests.addAll(of(c));
        }
        return requests;
    }

    List<Request> of(AwsProxy.Call call) {
        return switch (call.service()) {
            case "ec2" -> ec2(call);
            case "iam" -> iam(call);
            case "s3" -> s3(call);
            case "ses" -> ses(call);
            case "sns" -> sns(call);
            case "sqs" -> sqs(call);
            case "ssm" -> ssm(call);
            // GetCallerIdentity needs no permission: IAM answers it even when everything is denied
            case "sts" -> call.action().equals("GetCallerIdentity") ? List.of() : unknown(call);
            default -> unknown(call);
        };
    }

    // ---------------------------------------------------------------- EC2

    private List<Request> ec2(AwsProxy.Call c) {
        Map<String, String> p = c.params();
        String a = "ec2:" + c.action();
        List<Request> r = new ArrayList<>();
        switch (c.action()) {
            case "DescribeInstances", "DescribeImages", "DescribeKeyPairs", "DescribeSecurityGroups",
                 "DescribeSubnets", "DescribeVpcs", "DescribeInstanceTypeOfferings", "DescribeSpotPriceHistory",
                 "DescribeIamInstanceProfileAssociations", "DescribeTags" ->
                    // EC2's Describe actions have no resource-level permissions
                    r.add(request(a, "*", Map.of(), c));
            case "RunInstances" -> {
                Map<String, List<String>> instanceTags = requestTags(p, "instance");
                Map<String, List<String>> volumeTags = requestTags(p, "volume");
                r.add(request(a, ec2Arn("instance/new"), instanceTags, c));
                r.add(request(a, ec2Arn("volume/new"), volumeTags, c));
                r.add(request(a, ec2Arn("network-interface/new"), Map.of(), c));
                r.add(request(a, ec2Arn("subnet/" + p.getOrDefault("SubnetId", "default")), Map.of(), c));
                r.add(request(a, "arn:aws:ec2:" + region + "::image/" + p.get("ImageId"), Map.of(), c));
                if (p.containsKey("KeyName")) { // doctor's dry run names none before the namespace has its key pair
                    r.add(request(a, ec2Arn("key-pair/" + p.get("KeyName")), tagged(p.get("KeyName")), c));
                }
                values(p, "SecurityGroupId").forEach(g -> r.add(request(a, ec2Arn("security-group/" + g), tagged(g),
                        c)));
                if ("spot".equals(p.get("InstanceMarketOptions.MarketType"))) {
                    r.add(request(a, ec2Arn("spot-instances-request/new"), Map.of(), c));
                }
                if (!instanceTags.isEmpty()) {
                    r.add(request("ec2:CreateTags", ec2Arn("instance/new"), onCreate(instanceTags, "RunInstances"), c));
                }
                if (!volumeTags.isEmpty()) {
                    r.add(request("ec2:CreateTags", ec2Arn("volume/new"), onCreate(volumeTags, "RunInstances"), c));
                }
            }
            case "ImportKeyPair" -> {
                Map<String, List<String>> tags = requestTags(p, "key-pair");
                String arn = ec2Arn("key-pair/" + p.get("KeyName"));
                r.add(request(a, arn, tags, c));
                if (!tags.isEmpty()) {
                    r.add(request("ec2:CreateTags", arn, onCreate(tags, "ImportKeyPair"), c));
                    rememberFrom(p.get("KeyName"), tags);
                }
            }
            case "CreateSecurityGroup" -> {
                Map<String, List<String>> tags = requestTags(p, "security-group");
                r.add(request(a, ec2Arn("security-group/new"), tags, c));
                r.add(request(a, ec2Arn("vpc/" + p.getOrDefault("VpcId", "default")), Map.of(), c));
                if (!tags.isEmpty()) {
                    r.add(request("ec2:CreateTags", ec2Arn("security-group/new"), onCreate(tags,
                            "CreateSecurityGroup"), c));
                }
            }
            case "CreateImage" -> {
                Map<String, List<String>> tags = requestTags(p, "image");
                r.add(request(a, "arn:aws:ec2:" + region + "::image/new", tags, c));
                r.add(request(a, ec2Arn("instance/" + p.get("InstanceId")), tagged(p.get("InstanceId")), c));
                r.add(request(a, "arn:aws:ec2:" + region + "::snapshot/new", Map.of(), c));
                if (!tags.isEmpty()) {
                    r.add(request("ec2:CreateTags", "arn:aws:ec2:" + region + "::image/new", onCreate(tags,
                            "CreateImage"), c));
                }
            }
            case "CreateTags", "DeleteTags" -> {
                Map<String, List<String>> tags = new LinkedHashMap<>();
                List<String> keys = new ArrayList<>();
                for (int i = 1; p.containsKey("Tag." + i + ".Key"); i++) {
                    keys.add(p.get("Tag." + i + ".Key"));
                    if (c.action().equals("CreateTags")) {
                        tags.put("aws:RequestTag/" + p.get("Tag." + i + ".Key"),
                                List.of(p.getOrDefault("Tag." + i + ".Value", "")));
                    }
                }
                tags.put("aws:TagKeys", keys);
                for (String id : values(p, "ResourceId")) {
                    Map<String, List<String>> context = new LinkedHashMap<>(tags);
                    context.putAll(tagged(id));
                    r.add(request(a, arnOf(id), context, c));
                    if (c.action().equals("CreateTags")) {
                        rememberFrom(id, tags);
                    }
                }
            }
            case "StartInstances", "StopInstances", "TerminateInstances" ->
                    values(p, "InstanceId").forEach(id -> r.add(request(a, arnOf(id), tagged(id), c)));
            case "GetConsoleOutput" -> r.add(request(a, arnOf(p.get("InstanceId")), tagged(p.get("InstanceId")), c));
            case "AssociateIamInstanceProfile" -> {
                String id = p.get("InstanceId");
                r.add(request(a, arnOf(id), tagged(id), c));
                String profileArn = p.getOrDefault("IamInstanceProfile.Arn", "");
                String name = profileArn.substring(profileArn.lastIndexOf('/') + 1);
                r.add(request("iam:PassRole", iamArn("role", name), Map.of("iam:PassedToService",
                        List.of("ec2.amazonaws.com")), c));
            }
            case "DeregisterImage" -> r.add(request(a, arnOf(p.get("ImageId")), tagged(p.get("ImageId")), c));
            case "DeleteSnapshot" -> r.add(request(a, arnOf(p.get("SnapshotId")), tagged(p.get("SnapshotId")), c));
            case "DeleteKeyPair" -> r.add(request(a, ec2Arn("key-pair/" + p.get("KeyName")), tagged(p.get("KeyName")),
                    c));
            case "DeleteSecurityGroup", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress",
                 "UpdateSecurityGroupRuleDescriptionsIngress" ->
                    r.add(request(a, arnOf(p.get("GroupId")), tagged(p.get("GroupId")), c));
            default -> {
                return unknown(c);
            }
        }
        return r;
    }

    /** The tags a create request puts on resources of {@code type}, as {@code aws:RequestTag/…} and aws:TagKeys. */
    private static Map<String, List<String>> requestTags(Map<String, String> p, String type) {
        Map<String, List<String>> context = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        for (int s = 1; p.containsKey("TagSpecification." + s + ".ResourceType"); s++) {
            if (!p.get("TagSpecification." + s + ".ResourceType").equals(type)) {
                continue;
            }
            for (int t = 1; p.containsKey("TagSpecification." + s + ".Tag." + t + ".Key"); t++) {
                String key = p.get("TagSpecification." + s + ".Tag." + t + ".Key");
                keys.add(key);
                context.put("aws:RequestTag/" + key, List.of(p.getOrDefault("TagSpecification." + s + ".Tag." + t
                        + ".Value", "")));
            }
        }
        if (!keys.isEmpty()) {
            context.put("aws:TagKeys", keys);
        }
        return context;
    }

    private static Map<String, List<String>> onCreate(Map<String, List<String>> tags, String createAction) {
        Map<String, List<String>> context = new LinkedHashMap<>(tags);
        context.put("ec2:CreateAction", List.of(createAction));
        return context;
    }

    private void rememberFrom(String id, Map<String, List<String>> tags) {
        List<String> ns = tags.get("aws:RequestTag/" + NAMESPACE_TAG);
        if (ns != null) {
            namespaces.put(id, ns.get(0));
        }
    }

    /** {@code aws:ResourceTag/cgrender:namespace} of the resource, when it has one. */
    private Map<String, List<String>> tagged(String id) {
        String ns = id == null ? null : namespaces.get(id);
        return ns == null ? Map.of() : Map.of("aws:ResourceTag/" + NAMESPACE_TAG, List.of(ns));
    }

    private String ec2Arn(String resource) {
        return "arn:aws:ec2:" + region + ":" + account + ":" + resource;
    }

    private String arnOf(String id) {
        if (id.startsWith("i-")) {
            return ec2Arn("instance/" + id);
        }
        if (id.startsWith("ami-")) {
            return "arn:aws:ec2:" + region + "::image/" + id;
        }
        if (id.startsWith("snap-")) {
            return "arn:aws:ec2:" + region + "::snapshot/" + id;
        }
        if (id.startsWith("sg-")) {
            return ec2Arn("security-group/" + id);
        }
        if (id.startsWith("vol-")) {
            return ec2Arn("volume/" + id);
        }
        throw new AssertionError("no ARN known for EC2 resource " + id);
    }

    private static List<String> values(Map<String, String> p, String name) {
        List<String> values = new ArrayList<>();
        p.forEach((k, v) -> {
            Matcher m = MEMBER.matcher(k);
            if (m.matches() && m.group(1).equals(name)) {
                values.add(v);
            }
        });
        return values;
    }

    // ---------------------------------------------------------------- IAM

    private List<Request> iam(AwsProxy.Call c) {
        Map<String, String> p = c.params();
        String a = "iam:" + c.action();
        List<Request> r = new ArrayList<>();
        switch (c.action()) {
            case "CreateRole", "GetRole", "DeleteRole", "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy",
                 "ListRolePolicies", "ListAttachedRolePolicies" -> {
                String name = p.get("RoleName");
                if (c.action().equals("CreateRole")) {
                    paths.put("role/" + name, p.getOrDefault("Path", "/"));
                }
                r.add(request(a, iamArn("role", name), Map.of(), c));
                if (c.action().equals("CreateRole") && p.containsKey("Tags.member.1.Key")) {
                    r.add(request("iam:TagRole", iamArn("role", name), Map.of(), c));
                }
            }
            case "CreateInstanceProfile", "GetInstanceProfile", "DeleteInstanceProfile", "AddRoleToInstanceProfile",
                 "RemoveRoleFromInstanceProfile" -> {
                String name = p.get("InstanceProfileName");
                if (c.action().equals("CreateInstanceProfile")) {
                    paths.put("instance-profile/" + name, p.getOrDefault("Path", "/"));
                }
                r.add(request(a, iamArn("instance-profile", name), Map.of(), c));
                if (c.action().equals("CreateInstanceProfile") && p.containsKey("Tags.member.1.Key")) {
                    r.add(request("iam:TagInstanceProfile", iamArn("instance-profile", name), Map.of(), c));
                }
                if (c.action().equals("AddRoleToInstanceProfile")) {
                    r.add(request("iam:PassRole", iamArn("role", p.get("RoleName")), Map.of("iam:PassedToService",
                            List.of("ec2.amazonaws.com")), c));
                }
            }
            default -> {
                return unknown(c);
            }
        }
        return r;
    }

    /**
     * The ARN of a role or instance profile, with the path it was created with; one not created (yet) in this run is
     * taken at the path cgrender gives its own (IAM names them uniquely in an account, whatever their path).
     */
    private String iamArn(String type, String name) {
        String path = paths.getOrDefault(type + "/" + name, iamPath);
        return "arn:aws:iam::" + account + ":" + type + path + name;
    }

    // ---------------------------------------------------------------- SNS, SQS (the box agents' channel)

    /**
     * SNS: every action cgrender uses is authorized on the topic's ARN, {@code arn:aws:sns:REGION:ACCOUNT:NAME}. A
     * create with tags gives {@code aws:RequestTag/…} and {@code aws:TagKeys} and also needs {@code sns:TagResource};
     * Subscribe gives {@code sns:Protocol} and {@code sns:Endpoint}. Unsubscribe names only the subscription
     * ({@code <topic ARN>:<id>}); it is taken as authorized on its topic (where AWS's reference is least clear: a
     * policy granting it on a pattern of topic names, {@code …:cgrender-*}, also matches the subscription's ARN).
     * Resource tags of topics are left out on purpose: the policies scope the channel by name, and may not lean on
     * {@code aws:ResourceTag} where SNS might not give it.
     */
    private List<Request> sns(AwsProxy.Call c) {
        Map<String, String> p = c.params();
        String a = "sns:" + c.action();
        List<Request> r = new ArrayList<>();
        switch (c.action()) {
            case "CreateTopic" -> {
                String arn = "arn:aws:sns:" + region + ":" + account + ":" + p.get("Name");
                Map<String, List<String>> tags = memberTags(p);
                r.add(request(a, arn, tags, c));
                if (!tags.isEmpty()) {
                    r.add(request("sns:TagResource", arn, tags, c));
                }
            }
            case "Subscribe" -> {
                Map<String, List<String>> context = new LinkedHashMap<>();
                context.put("sns:Protocol", List.of(p.getOrDefault("Protocol", "")));
                context.put("sns:Endpoint", List.of(p.getOrDefault("Endpoint", "")));
                r.add(request(a, p.get("TopicArn"), context, c));
            }
            case "Unsubscribe" -> {
                String subscription = p.get("SubscriptionArn");
                r.add(request(a, subscription.substring(0, subscription.lastIndexOf(':')), Map.of(), c));
            }
            case "Publish", "GetTopicAttributes", "ListSubscriptionsByTopic", "DeleteTopic" ->
                    r.add(request(a, p.get("TopicArn"), Map.of(), c));
            default -> {
                return unknown(c);
            }
        }
        return r;
    }

    /**
     * SQS (AWS's JSON protocol: what names the queue is read from the body): every action but ListQueues is
     * authorized on the queue's ARN, {@code arn:aws:sqs:REGION:ACCOUNT:NAME}, from its name or its URL
     * ({@code …/ACCOUNT/NAME}). CreateQueue with tags gives {@code aws:RequestTag/…} and {@code aws:TagKeys} and also
     * needs {@code sqs:TagQueue}, as TagQueue itself gives them. ListQueues is taken to have no resource
     * of its own, {@code *} (conservative: a grant on {@code *} holds whatever AWS authorizes it on).
     * Resource tags are left out, as for SNS: the policies scope the queues by name.
     */
    private List<Request> sqs(AwsProxy.Call c) {
        Map<String, Object> body = json(c);
        String a = "sqs:" + c.action();
        List<Request> r = new ArrayList<>();
        switch (c.action()) {
            case "CreateQueue" -> {
                String arn = "arn:aws:sqs:" + region + ":" + account + ":" + body.get("QueueName");
                Map<String, List<String>> tags = jsonTags(body.get("tags"));
                r.add(request(a, arn, tags, c));
                if (!tags.isEmpty()) {
                    r.add(request("sqs:TagQueue", arn, tags, c));
                }
            }
            case "GetQueueUrl" -> r.add(request(a, "arn:aws:sqs:" + region + ":" + String.valueOf(body.getOrDefault(
                    "QueueOwnerAWSAccountId", account)) + ":" + body.get("QueueName"), Map.of(), c));
            case "TagQueue" -> r.add(request(a, queueArn(body), jsonTags(body.get("Tags")), c));
            case "SetQueueAttributes", "ListQueueTags", "DeleteQueue", "SendMessage" ->
                    r.add(request(a, queueArn(body), Map.of(), c));
            case "ListQueues" -> r.add(request(a, "*", Map.of(), c));
            default -> {
                return unknown(c);
            }
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(AwsProxy.Call c) {
        if (c.json().isBlank()) {
            return Map.of();
        }
        return (Map<String, Object>) (Map<?, ?>) com.typesafe.config.ConfigFactory.parseString(c.json(),
                com.typesafe.config.ConfigParseOptions.defaults().setSyntax(com.typesafe.config.ConfigSyntax.JSON))
                .root().unwrapped();
    }

    /** {@code arn:aws:sqs:REGION:ACCOUNT:NAME} of the queue a request's QueueUrl ({@code …/ACCOUNT/NAME}) names. */
    private String queueArn(Map<String, Object> body) {
        String url = String.valueOf(body.get("QueueUrl"));
        String[] parts = url.split("/");
        if (parts.length < 2) {
            throw new AssertionError("not a queue URL: " + url);
        }
        return "arn:aws:sqs:" + region + ":" + parts[parts.length - 2] + ":" + parts[parts.length - 1];
    }

    /** Tags given as a JSON object, as {@code aws:RequestTag/…} and {@code aws:TagKeys}. */
    private static Map<String, List<String>> jsonTags(Object tags) {
        Map<String, List<String>> context = new LinkedHashMap<>();
        if (tags instanceof Map<?, ?> map && !map.isEmpty()) {
            map.forEach((k, v) -> context.put("aws:RequestTag/" + k, List.of(String.valueOf(v))));
            context.put("aws:TagKeys", map.keySet().stream().map(String::valueOf).toList());
        }
        return context;
    }

    /** Tags given as query members ({@code Tags.member.N.Key}), as {@code aws:RequestTag/…} and aws:TagKeys. */
    private static Map<String, List<String>> memberTags(Map<String, String> p) {
        Map<String, List<String>> context = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        for (int i = 1; p.containsKey("Tags.member." + i + ".Key"); i++) {
            String key = p.get("Tags.member." + i + ".Key");
            keys.add(key);
            context.put("aws:RequestTag/" + key, List.of(p.getOrDefault("Tags.member." + i + ".Value", "")));
        }
        if (!keys.isEmpty()) {
            context.put("aws:TagKeys", keys);
        }
        return context;
    }

    // ---------------------------------------------------------------- S3, SES, SSM

    private List<Request> s3(AwsProxy.Call c) {
        String path = c.path();
        if (path.equals("/") || path.isEmpty()) {
            return List.of(request("s3:ListAllMyBuckets", "*", Map.of(), c));
        }
        String rest = path.substring(1);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        // the subresource (?tagging, ?location …), without the SDK's x-id and a presigned URL's X-Amz-* parameters
        Map<String, String> q = new LinkedHashMap<>(c.params());
        q.keySet().removeIf(k -> k.equals("x-id") || k.toLowerCase(java.util.Locale.ROOT).startsWith("x-amz-"));
        String action;
        if (key.isEmpty()) {
            action = switch (c.method()) {
                case "HEAD" -> "s3:ListBucket";
                case "GET" -> q.containsKey("location") ? "s3:GetBucketLocation"
                        : q.containsKey("tagging") ? "s3:GetBucketTagging" : "s3:ListBucket";
                case "PUT" -> q.containsKey("tagging") ? "s3:PutBucketTagging"
                        : q.containsKey("publicAccessBlock") ? "s3:PutBucketPublicAccessBlock"
                        : q.isEmpty() ? "s3:CreateBucket" : null;
                default -> null;
            };
        } else {
            action = switch (c.method()) {
                case "GET", "HEAD" -> q.isEmpty() ? "s3:GetObject" : null;
                case "PUT" -> q.isEmpty() ? "s3:PutObject" : null;
                case "DELETE" -> "s3:DeleteObject";
                default -> null;
            };
        }
        if (action == null) {
            return unknown(c);
        }
        return List.of(request(action, "arn:aws:s3:::" + bucket + (key.isEmpty() ? "" : "/" + key), Map.of(), c));
    }

    private List<Request> ses(AwsProxy.Call c) {
        return switch (c.action()) {
            case "GetIdentityVerificationAttributes", "GetSendQuota" ->
                    List.of(request("ses:" + c.action(), "*", Map.of(), c));
            case "SendEmail" -> List.of(request("ses:SendEmail", "arn:aws:ses:" + region + ":" + account
                    + ":identity/" + c.params().get("Source"), Map.of(), c));
            default -> unknown(c);
        };
    }

    private List<Request> ssm(AwsProxy.Call c) {
        if (!c.action().equals("GetParameter")) {
            return unknown(c);
        }
        return List.of(request("ssm:GetParameter", "arn:aws:ssm:" + region + "::parameter" + c.params().get("Name"),
                Map.of(), c));
    }

    private Request request(String action, String resource, Map<String, List<String>> context, AwsProxy.Call c) {
        Map<String, List<String>> all = new LinkedHashMap<>(context);
        all.put("aws:PrincipalAccount", List.of(account));
        return new Request(action, resource, all, c);
    }

    private static List<Request> unknown(AwsProxy.Call c) {
        throw new AssertionError("cgrender made a call the permissions test does not know (" + c.service() + " "
                + c.method() + " " + c.path() + " " + c.action() + " " + c.params().keySet() + "): say in IamRequests"
                + " what IAM authorizes for it, then grant it in the policies of docs/iam/ that need it");
    }
}
