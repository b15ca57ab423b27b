package io.cgrender.cli;

import com.sun.net.httpserver.HttpServer;
import io.cgrender.ec2.IamPolicy;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ready IAM policies of {@code docs/iam/} (README, "AWS permissions") against the AWS calls cgrender really makes,
 * in both directions, so neither can drift from the other: every call cgrender made in a configuration is allowed by
 * that configuration's policy (action, resource ARN and condition keys, through {@link IamPolicy}), and every action
 * of every statement of the policy was needed by some call.
 * <p>
 * The calls are recorded by the test kit's {@link AwsProxy} in front of moto while {@code cgrender} runs whole
 * commands, as a user does: box management on EC2 (create in the default VPC and in a subnet, each box with its agent
 * channel, list, show, stop, start, run, ping, jobs, image, recreate with SSH rules to renew and to remove, a spot box,
 * adopting a stopped instance and a failed adoption, register-key and remove-key telling the boxes, terminate,
 * delete-image, gc); a render that stores its results in S3 through the
 * namespace's instance profile (after one SES refuses up front), fetch, logs, a cache hit, a render reusing the role,
 * terminate and gc; and the same with presigned URLs.
 * Only the client's own calls count: calls signed with the box's instance profile credentials (the box stores, mails
 * and stops itself with them) are the box's, and the calls the stand-ins make to play EC2 carry the test harness's
 * header ({@link AwsProxy#HARNESS_HEADER}). Uploads through URLs the client presigned are the client's: S3 authorizes
 * them with the client's credentials.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwsPermissionsTest {

    private static final Path EXAMPLES = Path.of("../examples/models").toAbsolutePath().normalize();
    private static final Pattern JOB = Pattern.compile("as job (j-[0-9a-f-]+)");
    private static final String ME = "me@example.com";
    private static final String STALE = "cgrender SSH, last used 2020-01-01T00:00:00Z";

    /**
     * The calls of the box agents' channel, which the policies without IAM do not grant: their users' boxes get no
     * instance profile, so no channel either, and cgrender says so once and goes on ({@code Ec2Agents}). moto refuses
     * nothing, so the flows make every call of the channel; on AWS, for such a user:
     * <ul>
     *   <li>at launch ({@code Ec2Agents.open}) the first call, CreateTopic, is refused; every later one (the instance
     *       profile's IAM calls and PassRole, the queue, its policy, tags and subscription, the association) would be
     *       taken the same way had it been reached: any refusal there is the one warning, and the box is set up
     *       without a channel;</li>
     *   <li>at terminate ({@code Ec2Agents.closeChannel}) the lookup of the box's queue is refused: a warning, and the
     *       box is gone all the same (it never had a queue);</li>
     *   <li>{@code gc} ({@code Ec2Garbage.agentLeftovers}) is refused the list of queues: it says so (verbose) and
     *       looks no further, so neither subscriptions nor the topic are listed or removed; and the refused GetRole
     *       ({@link #REFUSAL_IS_AN_ANSWER}) answers that there is no role or instance profile to remove;</li>
     *   <li>{@code register-key} and {@code remove-key} are refused the publish of {@code sync-keys} to the boxes
     *       ({@code Ec2Agents.broadcast}): a warning that running boxes do not hear of it, and the key is changed all
     *       the same.</li>
     * </ul>
     * {@code ping} needs the channel and is no command for these users: its calls are left out of their checks
     * ({@link Recorded#channelRequests}) rather than tolerated here.
     */
    private static final Set<String> CHANNEL_REFUSED = Set.of(
            // launch
            "sns:CreateTopic", "sns:TagResource", "iam:CreateRole", "iam:TagRole", "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:CreateInstanceProfile",
            "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:PassRole", "sqs:CreateQueue",
            "sqs:TagQueue", "sqs:SetQueueAttributes", "sns:Subscribe", "ec2:DescribeIamInstanceProfileAssociations",
            "ec2:AssociateIamInstanceProfile",
            // terminate
            "sqs:GetQueueUrl", "sqs:ListQueueTags", "sns:Unsubscribe", "sqs:DeleteQueue",
            // gc
            "sqs:ListQueues", "sns:ListSubscriptionsByTopic", "sns:GetTopicAttributes", "sns:DeleteTopic",
            "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile", "iam:DeleteRolePolicy",
            "iam:DeleteRole",
            // register-key, remove-key
            "sns:Publish");

    /**
     * Calls cgrender makes that a policy may refuse, because cgrender takes a refusal as an answer: {@code gc} asks
     * IAM whether the namespace's role or instance profile exists, and a user who may not read IAM never had cgrender
     * make them. Refused on AWS, these are not errors (and the refused GetRole ends the question before
     * GetInstanceProfile, which moto, never refusing, is asked too); so the policies without the instance profile do
     * not grant them. And {@code doctor} asks S3 for the namespace's results bucket: a user of the policy without
     * results may not, and doctor reports exactly that (renders need one of the other policies). The box agents'
     * channel ({@link #CHANNEL_REFUSED}) is such an answer too.
     */
    private static final Set<String> REFUSAL_IS_AN_ANSWER = union(Set.of("iam:GetRole", "iam:GetInstanceProfile",
            "s3:ListBucket"), CHANNEL_REFUSED);

    /**
     * Actions a policy grants that no command here can make happen on moto. Keep it short, and say why for each.
     * (Empty today: every granted action is made by the flows below.)
     */
    private static final Map<String, String> NOT_DRIVEN = Map.of();

    private static final String EC2_ONLY = "cgrender-ec2.json";
    private static final String RESULTS = "cgrender-ec2-results.json";
    /** The box agents' channel, attached with the results policy (together they would exceed a managed policy). */
    private static final String AGENT = "cgrender-ec2-agent.json";
    private static final String PRESIGNED = "cgrender-ec2-presigned.json";

    /**
     * What one flow recorded: every call that reached the proxy, and what IAM authorizes for the client's, apart from
     * those of commands that need the agent channel ({@code ping}), which only the policies with it answer for.
     */
    private record Recorded(List<AwsProxy.Call> calls, List<IamRequests.Request> requests,
                            List<IamRequests.Request> channelRequests) {
    }

    private final Map<String, Recorded> flows = new LinkedHashMap<>();
    private Path repo;

    @BeforeAll
    void runTheFlows() throws Exception {
        repo = repositoryRoot();
        long start = System.nanoTime();
        flows.put("boxes", boxes());
        long boxes = System.nanoTime();
        flows.put("results", results(false));
        long results = System.nanoTime();
        flows.put("presigned", results(true));
        System.out.printf("flows: boxes %d s, results %d s, presigned %d s%n", (boxes - start) / 1_000_000_000,
                (results - boxes) / 1_000_000_000, (System.nanoTime() - results) / 1_000_000_000);
    }

    @AfterAll
    void cleanUp() {
        Standins.closeAll();
    }

    @Test
    void theEc2PolicyAllowsEveryCallOfBoxManagementAndGrantsNothingElse() throws IOException {
        check(List.of(EC2_ONLY), List.of("boxes"), false, REFUSAL_IS_AN_ANSWER);
    }

    @Test
    void theResultsAndAgentPoliciesAllowEveryCallOfRendersThroughTheInstanceProfileAndOfTheAgentChannelAndNothingElse()
            throws IOException {
        // box-access = auto falls back to presigned URLs for an instance with an instance profile of its own
        check(List.of(RESULTS, AGENT), List.of("boxes", "results", "presigned"), true, Set.of());
    }

    @Test
    void thePresignedPolicyAllowsEveryCallOfRendersWithPresignedUrlsAndGrantsNothingElse() throws IOException {
        check(List.of(PRESIGNED), List.of("boxes", "presigned"), false, REFUSAL_IS_AN_ANSWER);
    }

    @Test
    void onlyTheClientsOwnCallsCountNotTheBoxesNorTheStandIns() {
        Recorded results = flows.get("results");
        assertTrue(results.calls().stream().anyMatch(c -> c.action().equals("SendEmail") && !c.byHarness()
                && !c.accessKey().equals(MotoServer.ACCESS_KEY)), "the box mailed with its instance profile's"
                + " credentials: " + results.calls());
        assertTrue(results.requests().stream().noneMatch(r -> r.action().equals("ses:SendEmail")),
                "which are not the client's");
        assertTrue(flows.get("presigned").requests().stream().anyMatch(r -> r.action().equals("s3:PutObject")
                && r.call().params().containsKey("X-Amz-Credential")), "a presigned upload of the box is the client's");
        assertTrue(flows.get("boxes").calls().stream().anyMatch(AwsProxy.Call::byHarness), "the stand-ins asked too");
        assertTrue(flows.values().stream().flatMap(f -> f.requests().stream()).noneMatch(r -> r.call().byHarness()),
                "but their calls are not the client's");
    }

    // ---------------------------------------------------------------- the check

    /**
     * Checks the policies {@code files}, attached together, against the flows {@code flowNames} (with the commands
     * that need the agent channel when {@code channel}).
     */
    private void check(List<String> files, List<String> flowNames, boolean channel, Set<String> mayBeRefused)
            throws IOException {
        String file = String.join(" + ", files);
        List<IamPolicy> policies = new java.util.ArrayList<>();
        for (String f : files) {
            String document = Files.readString(repo.resolve("docs/iam").resolve(f));
            // a managed policy holds at most 6,144 characters, whitespace not counted
            assertTrue(document.replaceAll("\\s", "").length() <= 6144, f + " is larger than a managed policy may be");
            policies.add(IamPolicy.parse(document));
        }
        List<IamRequests.Request> requests = flowNames.stream().flatMap(f -> java.util.stream.Stream.concat(
                flows.get(f).requests().stream(), channel ? flows.get(f).channelRequests().stream()
                        : java.util.stream.Stream.empty())).toList();
        assertTrue(requests.size() > 50, "the flows made calls: " + requests.size());

        // (a) everything cgrender asked for is allowed
        Set<String> refused = new TreeSet<>();
        for (IamRequests.Request r : requests) {
            if (policies.stream().noneMatch(p -> p.allows(r.action(), r.resource(), r.context()))
                    && !mayBeRefused.contains(r.action())) {
                refused.add(r.toString());
            }
        }
        assertEquals(Set.of(), refused, file + " refuses what cgrender asks for; grant it there (and in README.md#aws"
                + "-permissions if it changes what the policy is for)");

        // (b) everything it grants was asked for: each action of each statement by a request that statement allows
        Set<String> unused = new TreeSet<>();
        for (IamPolicy statement : policies.stream().flatMap(p -> p.statements().stream()).toList()) {
            for (String action : statement.actions()) {
                boolean used = requests.stream().anyMatch(r -> r.action().equalsIgnoreCase(action)
                        && statement.allows(r.action(), r.resource(), r.context()));
                if (!used && !NOT_DRIVEN.containsKey(action)) {
                    unused.add(statement.sid() + ": " + action);
                }
            }
        }
        assertEquals(Set.of(), unused, file + " grants what no command of cgrender asked for (a stale grant, or a"
                + " statement that allows nothing cgrender asks for); remove it, or drive the command here");
    }

    // ---------------------------------------------------------------- the flows

    /** Box management on EC2, without results: every command a user runs on boxes. */
    private Recorded boxes() throws Exception {
        HttpServer checkip = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        checkip.createContext("/", exchange -> {
            byte[] body = "198.51.100.7\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        checkip.start();
        try (Flow flow = new Flow()) {
            String subnet = flow.ec2.describeSubnets(r -> r.filters(f -> f.name("default-for-az").values("true")))
                    .subnets().get(0).subnetId();
            // this machine's own /32 rule (from a check-ip service on loopback); the default VPC, then a subnet
            String rules = "cgrender.ec2.ssh-cidrs = []\n"
                    + "cgrender.ec2.public-ip-url = \"http://127.0.0.1:" + checkip.getAddress().getPort() + "/\"\n"
                    + "cgrender.timeouts.ping = 2s\n";
            flow.configure(rules);
            Cli cli = flow.user.cli;
            flow.ok("doctor");
            String id = flow.ok("create", "echo-box").out().strip();
            flow.configure(rules + "cgrender.ec2.subnet = \"" + subnet + "\"\n");
            // another machine's rule, unused for years, and this machine's, last stamped long ago: the next launch
            // removes the one and renews the other
            String group = flow.ec2.describeSecurityGroups(r -> r.filters(f -> f.name("group-name")
                    .values("cgrender_tester_"))).securityGroups().get(0).groupId();
            flow.ec2.authorizeSecurityGroupIngress(r -> r.groupId(group).ipPermissions(p -> p.ipProtocol("tcp")
                    .fromPort(22).toPort(22).ipRanges(ip -> ip.cidrIp("203.0.113.9/32").description(STALE))));
            flow.ec2.updateSecurityGroupRuleDescriptionsIngress(r -> r.groupId(group).ipPermissions(p -> p
                    .ipProtocol("tcp").fromPort(22).toPort(22).ipRanges(ip -> ip.cidrIp("198.51.100.7/32")
                            .description(STALE))));
            // a colleague's key: registered (a key pair of the namespace), listed, removed
            Path colleague = cli.root().resolve("colleague");
            OsCommand.Result keygen = OsCommand.run(java.time.Duration.ofSeconds(30), "ssh-keygen", "-q", "-t",
                    "ed25519", "-N", "", "-f", colleague.toString());
            assertEquals(0, keygen.exitCode(), keygen.stderr());
            flow.ok("register-key", "colleague", colleague + ".pub");
            flow.ok("list-keys");
            flow.ok("remove-key", "colleague");
            flow.ok("list");
            flow.ok("show", id);
            flow.ok("stop", id);
            flow.ok("start", id);
            flow.ok("run", "echo-box", "--", "true");
            // the agent's answer is not what counts here, the calls are: SendMessage to the box's queue, DescribeTags
            Cli.Result ping = flow.needingTheChannel("ping", id);
            assertTrue(ping.code() == 0 || ping.err().contains("did not answer"), ping.toString());
            flow.ok("jobs");
            String image = flow.ok("image", id).out().strip();
            flow.ok("list-images");
            String copy = flow.ok("recreate", "echo-box").out().strip();
            assertTrue(flow.ec2.describeSecurityGroups(r -> r.groupIds(group)).securityGroups().get(0)
                    .ipPermissions().stream().flatMap(p -> p.ipRanges().stream())
                    .noneMatch(ip -> ip.cidrIp().equals("203.0.113.9/32")), "the stale rule was removed");
            String spot = flow.ok("create", "echo-box", "--new", "--spot").out().strip();

            // adopting: one instance that presents another host key than its console shows (the adoption fails and
            // hands it back), and one that works
            String stranger = flow.launchDirectly();
            Standins.presentAStrangerKeyNext();
            Cli.Result refused = flow.run("create", "echo-box", "--instance-id", stranger);
            assertEquals(1, refused.code(), refused.toString());
            flow.ec2.terminateInstances(r -> r.instanceIds(stranger));
            String mine = flow.launchDirectly();
            flow.ec2.stopInstances(r -> r.instanceIds(mine));
            flow.ok("create", "echo-box", "--instance-id", mine);

            for (String box : List.of(id, copy, spot, mine)) {
                flow.ok("terminate", box);
            }
            flow.ok("delete-image", image);
            Cli.Result gc = flow.ok("gc", "--yes");
            assertTrue(gc.err().contains("removed key pair cgrender_tester_"), gc.toString());
            assertEquals(List.of(), cli.boxIds());
            return flow.recorded();
        } finally {
            checkip.stop(0);
        }
    }

    /** Renders whose results go to S3 and whose box mails: through the instance profile, or presigned URLs. */
    private Recorded results(boolean presigned) throws Exception {
        try (Flow flow = new Flow()) {
            flow.configure("cgrender.notify.from = \"" + ME + "\"\n"
                    + (presigned ? "cgrender.ec2.results.box-access = presigned\n" : ""));
            Cli cli = flow.user.cli;
            Path project = cli.root().resolve("project");
            Files.createDirectories(project.resolve("tiny"));
            Files.copy(EXAMPLES.resolve("tiny/cube.scad"), project.resolve("tiny/cube.scad"));
            cli.env().put("PWD", project.toString());
            Ec2TestKit.verifyEmail(flow.user.moto, ME);
            flow.ok("doctor");

            // a recipient SES may not mail while in the sandbox: refused before anything is launched
            Cli.Result sandbox = flow.run("render", "tiny/cube.scad", "--email", "someone@example.org");
            assertEquals(2, sandbox.code(), sandbox.toString());
            assertTrue(sandbox.err().contains("sandbox"), sandbox.toString());

            Cli.Result render = flow.ok("render", "tiny/cube.scad", "--email", ME, "--after", "keep");
            assertTrue(render.err().contains(presigned ? "mailed " + ME + " for the box"
                    : "created IAM role and instance profile cgrender_tester_"), render.toString());
            String job = jobId(render);
            Files.delete(project.resolve("tiny/cube.stl"));
            flow.ok("fetch", job);
            Files.delete(cli.stateDir().resolve("jobs").resolve(job).resolve("log"));
            flow.ok("logs", job);
            assertTrue(flow.ok("render", "tiny/cube.scad").err().contains("cache hit: tiny/cube.scad"));
            if (!presigned) {
                // once more on the same box: the namespace's role exists now, and is checked before it is used again
                flow.ok("render", "tiny/cube.scad", "--no-cache", "--after", "keep");
            }
            for (String box : cli.boxIds()) {
                flow.ok("terminate", box);
            }
            Cli.Result gc = flow.ok("gc", "--yes");
            assertTrue(presigned || gc.err().contains("removed instance profile cgrender_tester_"), gc.toString());
            return flow.recorded();
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    private static String jobId(Cli.Result r) {
        Matcher m = JOB.matcher(r.err());
        assertTrue(m.find(), r.toString());
        return m.group(1);
    }

    /** The checkout's root: the directory above this module holding README.md and docs/iam/. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs/iam"))) {
                return dir;
            }
        }
        throw new AssertionError("no docs/iam/ above " + Path.of("").toAbsolutePath());
    }

    /**
     * One user of {@code cgrender --cloud ec2} on a fresh moto, every call through a proxy that records it; after each
     * command that makes something it remembers the namespace tag of everything moto holds, for the resource tags of
     * later calls.
     */
    private static final class Flow implements AutoCloseable {

        final Ec2Cli user;
        final Ec2Client ec2;
        final AwsProxy proxy;
        /** The path of cgrender's roles and instance profiles (BoxProfile.PATH), which the policies name. */
        final IamRequests iam = new IamRequests(MotoServer.REGION, MotoServer.ACCOUNT, "/cgrender/");
        /** The calls (by index) of commands that need the agent channel. */
        private final java.util.BitSet channelOnly = new java.util.BitSet();

        Flow() throws IOException {
            user = new Ec2Cli();
            ec2 = user.ec2;
            proxy = AwsProxy.to(user.moto.endpoint());
        }

        void configure(String extra) throws IOException {
            user.configure("cgrender.box.idle-timeout = 20m\ncgrender.aws.endpoint = \"" + proxy.endpoint() + "\"\n"
                    + extra);
        }

        Cli.Result ok(String... args) {
            Cli.Result r = run(args);
            if (r.code() != 0) {
                throw new AssertionError("cgrender " + String.join(" ", args) + " failed:\n" + r);
            }
            return r;
        }

        /** Runs a command that needs the agent channel; its calls are {@link Recorded#channelRequests}. */
        Cli.Result needingTheChannel(String... args) {
            int from = proxy.calls().size();
            try {
                return run(args);
            } finally {
                channelOnly.set(from, proxy.calls().size());
            }
        }

        Cli.Result run(String... args) {
            Cli.Result r = user.cli.run(args);
            if (List.of("create", "recreate", "image", "render").contains(args[0])) {
                remember(); // what a command made, before a later one removes it
            }
            return r;
        }

        /** An instance launched with the namespace's key pair by the user, not by cgrender. */
        String launchDirectly() {
            String id = ec2.runInstances(r -> r.imageId("ami-785db401").instanceType("t3.micro").minCount(1)
                    .maxCount(1).keyName("cgrender_tester_").tagSpecifications(t -> t.resourceType("instance")
                            .tags(Tag.builder().key("Name").value("my box").build()))).instances().get(0).instanceId();
            remember();
            return id;
        }

        /** The namespace tags of everything moto shows now. */
        private void remember() {
            ec2.describeInstancesPaginator(r -> { }).reservations().forEach(r -> r.instances()
                    .forEach(i -> namespaceOf(i.tags()).forEach(ns -> iam.remember(i.instanceId(), ns))));
            ec2.describeImages(r -> r.owners("self")).images().forEach(i -> namespaceOf(i.tags())
                    .forEach(ns -> iam.remember(i.imageId(), ns)));
            ec2.describeSnapshots(r -> r.ownerIds("self")).snapshots().forEach(s -> namespaceOf(s.tags())
                    .forEach(ns -> iam.remember(s.snapshotId(), ns)));
            ec2.describeKeyPairs().keyPairs().forEach(k -> namespaceOf(k.tags())
                    .forEach(ns -> iam.remember(k.keyName(), ns)));
            ec2.describeSecurityGroups().securityGroups().forEach(g -> namespaceOf(g.tags())
                    .forEach(ns -> iam.remember(g.groupId(), ns)));
        }

        private static List<String> namespaceOf(List<Tag> tags) {
            return tags.stream().filter(t -> t.key().equals(IamRequests.NAMESPACE_TAG)).map(Tag::value).toList();
        }

        /** The calls, and what IAM authorizes for the client's own: signed with its key, not by the box or harness. */
        Recorded recorded() {
            List<AwsProxy.Call> calls = proxy.calls();
            List<IamRequests.Request> requests = new java.util.ArrayList<>();
            List<IamRequests.Request> channelRequests = new java.util.ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                AwsProxy.Call c = calls.get(i);
                if (!c.byHarness() && MotoServer.ACCESS_KEY.equals(c.accessKey())) {
                    (channelOnly.get(i) ? channelRequests : requests).addAll(iam.of(c));
                }
            }
            return new Recorded(calls, requests, channelRequests);
        }

        @Override
        public void close() throws IOException {
            try {
                user.close();
            } finally {
                proxy.close();
            }
        }
    }
}
