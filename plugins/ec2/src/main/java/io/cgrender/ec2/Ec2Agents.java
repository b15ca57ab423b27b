package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.agent.BoxCommandScript;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.TagDescription;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The agents of a namespace's EC2 boxes ({@link BoxAgents}): commands go to every box through the namespace's SNS
 * topic, or to one box through its own SQS queue ({@link AgentChannel}); the agent ({@code agent.sh}) answers a ping in
 * the instance's {@link Tags#AGENT_PONG} tag. The channel of a box is made at launch ({@link #open}), with the
 * namespace's instance profile, which the agent needs to hear its queue and read the namespace's keys; the agent
 * itself is installed over SSH when the box is set up ({@link #install}). Where boxes get no instance profile
 * ({@code cgrender.ec2.results.box-access = presigned}, or IAM refuses), they get no channel either: that is said
 * once, and the launch goes on.
 */
final class Ec2Agents implements BoxAgents {

    /** How often a ping looks for its answer. */
    private static final Duration PING_POLL = Duration.ofMillis(500);
    /** How often an agent re-reads the keys with no command (a safety net for a lost message). */
    static final Duration RESYNC = Duration.ofMinutes(10);
    private static final String AGENT = UserData.resource("agent.sh");
    private static final String INSTALLER = UserData.resource("agent-install.sh");
    /** EC2's part of {@code cgrender-box} ({@link BoxCommandScript}). */
    private static final String BOX_COMMAND_BACKEND = UserData.resource("cgrender-box-backend.sh");

    private final Ec2Cloud cloud;
    private final AwsClients aws;
    private final Namespace namespace;
    private final AgentChannel channel;
    private final BoxProfile profiles;
    private String account;
    private boolean toldNoChannel;

    Ec2Agents(Ec2Cloud cloud) {
        this.cloud = cloud;
        this.aws = cloud.aws();
        this.namespace = cloud.context().namespace();
        this.channel = new AgentChannel(aws, namespace);
        this.profiles = new BoxProfile(aws, cloud.console(), cloud.settings().pollInterval());
    }

    AgentChannel channel() {
        return channel;
    }

    /** Whether boxes get an agent channel: not when they get no instance profile by configuration. */
    boolean enabled() {
        return ResultSettings.from(cloud.context().settings()).boxAccess() != ResultSettings.BoxAccess.PRESIGNED;
    }

    String account() {
        if (account == null) {
            account = aws.call("asking AWS STS who these credentials belong to", () -> aws.sts().getCallerIdentity())
                    .account();
        }
        return account;
    }

    // ---------------------------------------------------------------- at launch

    /**
     * Makes the channel of the instance just launched: the namespace's topic (on first use), its instance profile
     * (associated as soon as EC2 takes it), the box's queue subscribed to the topic. {@code made} records the queue
     * the moment it exists, for the launch's cleanup. Returns false, having said why once, when the box gets none.
     */
    boolean open(Instance instance, AgentChannel.Queue made) {
        if (!enabled()) {
            noChannel("cgrender.ec2.results.box-access = presigned gives boxes no instance profile");
            return false;
        }
        String id = instance.instanceId();
        try {
            String topic = channel.ensureTopic();
            String profile = profiles.ensure(namespace, new BoxProfile.Grants(List.of(), List.of()), account());
            channel.create(id, profiles.roleId(namespace) + ":" + id, topic, account(), made);
            String theirs = profiles.attach(instance, profile);
            if (!theirs.equals(profile)) {
                noChannel("box " + id + " has an instance profile of its own (" + theirs + ")");
            }
            return true;
        } catch (SdkException e) {
            return refused(id, e);
        } catch (CgrenderException e) {
            if (e.getCause() instanceof SdkException sdk) {
                return refused(id, sdk);
            }
            throw e;
        }
    }

    /** Whether AWS refused the call for want of permission (each service says it its own way). */
    private static boolean isRefusal(SdkException e) {
        return AwsErrors.is(e, "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                "AuthorizationError", "AuthorizationErrorException");
    }

    private boolean refused(String id, SdkException e) {
        if (!isRefusal(e)) {
            throw aws.explain("making the agent channel of box " + id, e);
        }
        noChannel("AWS refused what it takes (" + AwsErrors.summary(e) + "; the channel needs sns:CreateTopic,"
                + " sns:Subscribe, sqs:CreateQueue, sqs:SetQueueAttributes, sqs:TagQueue, the IAM calls of the"
                + " instance profile, iam:PassRole and ec2:AssociateIamInstanceProfile)");
        return false;
    }

    private void noChannel(String why) {
        if (!toldNoChannel) {
            cloud.console().warn(why + ": the boxes of " + namespace + " launched now have no agent channel, so"
                    + " registered keys, ping, extend, stop and terminate do not reach them while they run (their"
                    + " authorized keys are those they were set up with)");
            toldNoChannel = true;
        }
    }

    /** Removes the queue of a box that is gone; a failure is said, not thrown: {@code cgrender gc} finds the queue. */
    void closeChannel(String instanceId) {
        if (!enabled()) {
            return;
        }
        try {
            channel.delete(instanceId);
        } catch (CgrenderException e) {
            cloud.console().warn("could not remove the agent queue of " + instanceId + " (" + e.getMessage()
                    + "); cgrender gc removes it later");
        }
    }

    // ---------------------------------------------------------------- BoxAgents

    /**
     * Publishes to the namespace's topic. Where AWS refuses it (a user whose policy gives boxes no channel, so no box
     * of theirs listens), that is said, and the command goes on.
     */
    @Override
    public void broadcast(AgentCommand command) {
        if (!enabled()) {
            return;
        }
        try {
            if (!channel.publish(command.line(), account())) {
                cloud.console().verbose("no SNS topic " + AgentChannel.topicName(namespace) + " yet: no box listens");
            }
        } catch (CgrenderException e) {
            if (!(e.getCause() instanceof SdkException sdk) || !isRefusal(sdk)) {
                throw e;
            }
            cloud.console().warn("AWS refused publishing '" + command.line() + "' to the boxes of " + namespace + " ("
                    + AwsErrors.summary(sdk) + "; that needs sns:Publish on the SNS topic "
                    + AgentChannel.topicName(namespace) + "): running boxes do not hear of it; boxes launched with"
                    + " these permissions have no agent channel anyway");
        }
    }

    @Override
    public void send(String boxId, AgentCommand command) {
        channel.send(boxId, command.line());
    }

    @Override
    public Optional<Duration> ping(String boxId, Duration timeout, Progress progress) {
        String nonce = UUID.randomUUID().toString();
        long start = System.nanoTime();
        channel.send(boxId, AgentCommand.ping(nonce).line());
        long deadline = start + timeout.toNanos();
        return AwsWait.until("waiting for the agent of " + boxId + " to answer", timeout.plus(PING_POLL), PING_POLL,
                progress, () -> {
                    if (pong(boxId).filter(p -> p.startsWith(nonce + " ")).isPresent()) {
                        return Wait.Poll.ready(Optional.of(Duration.ofNanos(System.nanoTime() - start)));
                    }
                    return System.nanoTime() - deadline >= 0 ? Wait.Poll.ready(Optional.<Duration>empty())
                            : Wait.Poll.notYet("no answer yet");
                });
    }

    private Optional<String> pong(String boxId) {
        return aws.call("reading the agent's answer of " + boxId, () -> aws.ec2().describeTags(r -> r.filters(
                        Filter.builder().name("resource-id").values(boxId).build(),
                        Filter.builder().name("key").values(Tags.AGENT_PONG).build())).tags()).stream()
                .map(TagDescription::value).findFirst();
    }

    // ---------------------------------------------------------------- installing the agent

    /**
     * Installs the agent as a systemd service, as root ({@code sudo -n} for a login user that is not root), with
     * the namespace, login user, {@code cgrender.keys} and namespace key of this client baked in.
     */
    @Override
    public void install(Machine machine, RemoteHost host, Duration timeout) {
        String user = machine.tags().getOrDefault(Tags.LOGIN_USER, "ubuntu");
        String script = installer(namespace, user, AuthorizedKeys.from(cloud.context().settings()),
                cloud.context().settings().maxLifetime(), cloud.context().settings().idleTimeout(),
                NamespaceKey.loadOrCreate(cloud.context().dirs().keys(), namespace).publicKeyLine());
        cloud.console().verbose("installing the box agent on " + machine.id());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecResult result = host.exec("if [ -n \"${CGRENDER_ROOT:-}\" ] || [ \"$(id -u)\" = 0 ]; then bash -s;"
                        + " else sudo -n bash -s; fi", timeout,
                new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)), out, err);
        if (!result.succeeded()) {
            String why = err.toString(StandardCharsets.UTF_8).strip();
            throw new CgrenderException("installing the box agent on " + machine.id() + " failed (exit "
                    + result.exitCode() + (why.isEmpty() ? "" : ": " + why.lines().reduce((a, b) -> b).orElse(""))
                    + ")");
        }
    }

    /**
     * The installer run on a box: the agent with this namespace's settings, its unit, and {@code cgrender-box}. The
     * max lifetime and idle timeout are the configured ones, for a box whose tags do not tell its own.
     */
    static String installer(Namespace namespace, String loginUser, AuthorizedKeys keys, Duration maxLifetime,
                            Duration idleTimeout, String clientKeyLine) {
        String[] clientKey = clientKeyLine.strip().split("\\s+");
        if (clientKey.length < 2 || !clientKey[0].matches("[a-z0-9-]+") || !clientKey[1].matches("[A-Za-z0-9+/]+=*")) {
            throw new IllegalArgumentException("not a public key line: " + clientKeyLine);
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("@CLIENT_KEY@", clientKey[0] + " " + clientKey[1]);
        values.put("@NAMESPACE@", namespace.toString());
        values.put("@QUEUE_PREFIX@", AgentChannel.queuePrefix(namespace));
        values.put("@KEY_PAIR@", NamespaceKeyPair.name(namespace));
        values.put("@KEYS@", keys.names().map(names -> String.join(" ", names.stream().map(Ec2Agents::keyName)
                .toList())).orElse(AuthorizedKeys.ALL));
        values.put("@MAX_EXTENSION_SECONDS@", Long.toString(Math.max(60, maxLifetime.toSeconds())));
        values.put("@IDLE_SECONDS@", Long.toString(Math.max(1, idleTimeout.toSeconds())));
        values.put("@MAX_LIFETIME_TAG@", Tags.MAX_LIFETIME);
        values.put("@IDLE_TIMEOUT_TAG@", Tags.IDLE_TIMEOUT);
        values.put("@KEPT_TAG@", Tags.KEPT);
        values.put("@ROLE_TAG@", Tags.ROLE);
        values.put("@JOBS_DIR@", RemoteJobs.JOBS_DIR);
        values.put("@RESYNC_SECONDS@", Long.toString(RESYNC.toSeconds()));
        values.put("@LOGIN_USER@", UserData.shellWord(loginUser));
        values.put("@PONG_TAG@", Tags.AGENT_PONG);
        values.put("@EXPIRES_TAG@", Tags.EXPIRES_AT);
        values.put("@NAMESPACE_TAG@", Tags.NAMESPACE);
        values.put("@KEY_NAME_TAG@", Tags.KEY_NAME);
        values.put("@PUBLIC_KEY_TAG@", Tags.PUBLIC_KEY);
        String agent = fill(AGENT, values);
        String command = fill(BoxCommandScript.with(BOX_COMMAND_BACKEND), values);
        return INSTALLER.replace("@AGENT@", agent.stripTrailing()).replace("@CGRENDER_BOX@", command.stripTrailing());
    }

    private static String fill(String template, Map<String, String> values) {
        String text = template;
        for (Map.Entry<String, String> e : values.entrySet()) {
            text = text.replace(e.getKey(), e.getValue());
        }
        return text;
    }

    /** The agent as it is installed, for tests that run it. */
    static String agent(Namespace namespace, String loginUser, AuthorizedKeys keys, Duration maxLifetime,
                        String clientKeyLine) {
        return installed(installer(namespace, loginUser, keys, maxLifetime, Duration.ofMinutes(30), clientKeyLine),
                "CGRENDER_AGENT");
    }

    /** {@code cgrender-box} as it is installed, for tests that run it. */
    static String boxCommand(Namespace namespace) {
        return installed(installer(namespace, "ubuntu", new AuthorizedKeys(Optional.empty()), Duration.ofHours(8),
                Duration.ofMinutes(30), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOJ"), "CGRENDER_BOX_COMMAND");
    }

    private static String installed(String installer, String marker) {
        String open = "<<'" + marker + "'\n";
        int start = installer.indexOf(open) + open.length();
        return installer.substring(start, installer.indexOf("\n" + marker + "\n", start)) + "\n";
    }

    private static String keyName(String name) {
        if (!name.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            throw new UsageException("'" + name + "' in " + AuthorizedKeys.SETTING + " is not a key name: names are"
                    + " lower-case letters, digits, '.', '_' and '-' (at most 63), or \"*\" for all");
        }
        return name;
    }
}
