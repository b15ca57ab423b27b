package io.cgrender.ec2;

import io.cgrender.core.agent.AgentCommand;
import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Garbage;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Progress;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.sns.model.Subscription;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The box agent on EC2, end to end on moto's EC2, SNS, SQS and IAM with stand-ins that run the box's real agent (as
 * systemd would, restarted when it dies) with the AWS CLI and the instance profile's credentials: keys registered and
 * removed while the box runs reach its authorized_keys with no client connected, forged messages add nothing, ping
 * answers, extend moves the expiry, the queue goes at terminate and gc finds one left behind.
 */
class Ec2AgentTest {

    private static final Namespace NS = Namespace.parse("/agents/", null);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** What the issue promises: a key change is live on every running box within a minute. */
    private static final Duration LIVE_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path temp;
    private Ec2Fixture fx;

    @BeforeEach
    void start() {
        Standins.assumeAvailable();
        fx = new Ec2Fixture(temp);
    }

    @AfterEach
    void stop() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void keysFollowTheRegistryOnARunningBoxForgedMessagesAddNothingAndTheAgentSurvivesACrash() throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.timeouts.ssh", "30s"), NS);
        BoxEnvironment env = fx.environment(cloud, NS);
        Machine box = new ProbeBox().create(env, CreateOptions.defaults()).get(0);
        BoxAgents agents = cloud.agents().orElseThrow();
        Path authorized = Standins.home(box.id()).orElseThrow().resolve(".ssh/authorized_keys");
        String own = blob(fx.key(NS).publicKeyLine());

        assertTrue(Poll.until(TIMEOUT, () -> read(authorized).contains(own + " cgrender namespace key")),
                "the agent wrote the namespace's key at its start: " + read(authorized) + agentLog(box));
        Subscription subscription = subscriptions(cloud).stream()
                .filter(s -> s.endpoint().endsWith(AgentChannel.queueName(NS, box.id()))).findFirst().orElseThrow();
        assertEquals("true", cloud.aws().sns().getSubscriptionAttributes(r -> r.subscriptionArn(
                subscription.subscriptionArn())).attributes().get("RawMessageDelivery"));

        // a key of the user's own in authorized_keys (an adopted instance's, say): the agent leaves it alone
        Path usersOwn = keyPair("users-own");
        Files.writeString(authorized, read(authorized) + "no-pty " + Files.readString(usersOwn.resolveSibling(
                "users-own.pub")));

        // a key registered after the launch: live on the box within a minute, with no client connected
        Path alice = keyPair("alice");
        register(cloud, "alice", alice);
        env.ssh().disconnect(box.id());
        Instant sent = Instant.now();
        agents.broadcast(AgentCommand.syncKeys());
        assertTrue(Poll.until(LIVE_WITHIN, () -> read(authorized).contains(blob(alice))),
                "alice's key reached the box: " + read(authorized) + agentLog(box));
        System.out.println("a registered key reached the box " + Duration.between(sent, Instant.now()).toMillis()
                + " ms after sync-keys was published");
        OsCommand.Result in = login(cloud, box, alice);
        assertEquals(0, in.exitCode(), "alice logs in: " + in.stderr() + Standins.sshdLog(box.id()));

        // forged messages straight into the queue: a key as the body, a command with a key after it, a shell command
        String mallory = blob(Files.readString(keyPair("mallory").resolveSibling("mallory.pub")));
        for (String forged : List.of("ssh-ed25519 " + mallory + " mallory", "sync-keys\nssh-ed25519 " + mallory,
                "$(touch /tmp/cgrender-agent-forged)", "extend PT99999H; rm -rf ~")) {
            String url = cloud.ec2Agents().channel().queueUrl(box.id()).orElseThrow();
            cloud.aws().sqs().sendMessage(r -> r.queueUrl(url).messageBody(forged));
        }
        assertTrue(Poll.until(TIMEOUT, () -> agentLog(box).split("ignoring a message that is no command",
                -1).length - 1 >= 4), agentLog(box));
        assertFalse(read(authorized).contains(mallory), read(authorized));
        assertFalse(Files.exists(Path.of("/tmp/cgrender-agent-forged")));

        // ping: answered in the instance's tag, with the round trip
        Optional<Duration> roundTrip = agents.ping(box.id(), TIMEOUT, Progress.NONE);
        assertTrue(roundTrip.isPresent(), agentLog(box));
        System.out.println("ping round trip: " + roundTrip.get().toMillis() + " ms");

        // removed: gone from the box within a minute, and alice is refused
        assertTrue(cloud.keys().orElseThrow().remove("alice"));
        agents.broadcast(AgentCommand.syncKeys());
        assertTrue(Poll.until(LIVE_WITHIN, () -> !read(authorized).contains(blob(alice))), read(authorized));
        assertTrue(read(authorized).contains(own), "the namespace's own key stays");
        assertTrue(read(authorized).contains("no-pty ssh-ed25519 " + blob(usersOwn)), "the user's own line stays");
        assertEquals(255, login(cloud, box, alice).exitCode(), "alice is refused");

        // the agent dies; it is started again and still hears its queue
        int starts = Standins.agentStarts(box.id());
        Standins.killAgent(box.id());
        assertTrue(Poll.until(TIMEOUT, () -> Standins.agentStarts(box.id()) > starts), agentLog(box));
        // an ECDSA key, which EC2 keeps in its key pair's tag: the key itself reaches the box, never the key pair's
        Path bob = keyPair("bob", "ecdsa");
        register(cloud, "bob", bob);
        agents.send(box.id(), AgentCommand.syncKeys());
        assertTrue(Poll.until(LIVE_WITHIN, () -> read(authorized).contains(blob(bob))), agentLog(box));

        // terminate removes the queue and its subscription
        String queue = AgentChannel.queueName(NS, box.id());
        env.terminate(box);
        assertEquals(Optional.empty(), cloud.ec2Agents().channel().queueUrl(box.id()));
        assertTrue(subscriptions(cloud).stream().noneMatch(s -> s.endpoint().endsWith(queue)));
    }

    @Test
    void extendMovesTheExpiryTheWatchdogObeysCappedAtTheMaxLifetimeFromNow() throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.timeouts.ssh", "30s", "cgrender.box.max-lifetime", "3h"), NS);
        BoxEnvironment env = fx.environment(cloud, NS);
        Machine box = new ProbeBox().create(env, CreateOptions.defaults()).get(0);
        BoxAgents agents = cloud.agents().orElseThrow();
        Instant expires = Instant.parse(box.tags().get(Tags.EXPIRES_AT));
        Path override = Standins.root(box.id()).orElseThrow().resolve("var/lib/cgrender/expires-at");
        assertTrue(Poll.until(TIMEOUT, () -> agentLog(box).contains("listening on queue")), agentLog(box));

        agents.send(box.id(), AgentCommand.extend(Duration.ofHours(2)));
        assertTrue(Poll.until(TIMEOUT, () -> Files.exists(override)), agentLog(box));
        long moved = Long.parseLong(Files.readString(override).strip());
        long cap = Instant.now().plus(Duration.ofHours(3)).getEpochSecond();
        assertTrue(moved <= cap && moved >= cap - 120, "at most the max lifetime (3h) from now: " + moved);
        assertTrue(moved > expires.getEpochSecond(), agentLog(box));
        assertTrue(Poll.until(TIMEOUT, () -> Instant.parse(fx.instance(box.id()).tags().stream()
                .filter(t -> t.key().equals(Tags.EXPIRES_AT)).map(Tag::value).findFirst().orElseThrow())
                .getEpochSecond() == moved), "the tag says the new expiry too");

        // the watchdog reads the moved expiry: a box whose launch expiry passed lives on until the new one
        Path state = temp.resolve("watchdog-state");
        Path shutdown = temp.resolve("shutdown-ran");
        Files.createDirectories(state);
        Path watchdog = Files.writeString(temp.resolve("watchdog.sh"), UserData.watchdog(fx.spec(NS, "probe-box"),
                Instant.now().minusSeconds(60)));
        Map<String, String> run = Map.of("CGRENDER_STATE_DIR", state.toString(), "CGRENDER_HOME",
                temp.toString(), "CGRENDER_LOGIN_USER", "root", "CGRENDER_SHUTDOWN", "touch " + shutdown,
                "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9", "CGRENDER_AWS", "false");
        Files.writeString(state.resolve("expires-at"), Long.toString(moved));
        runOnce(watchdog, run);
        assertFalse(Files.exists(shutdown), "extended: the box lives on");
        Files.delete(state.resolve("expires-at"));
        runOnce(watchdog, run);
        assertTrue(Files.exists(shutdown), "not extended: it ends at its launch's expiry");
    }

    @Test
    void cgrenderBoxOnTheBoxExtendsKeepsAndReleasesItThroughTheAgentsOwnCode() throws Exception {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.timeouts.ssh", "30s", "cgrender.box.max-lifetime", "3h",
                "cgrender.box.idle-timeout", "20m"), NS);
        BoxEnvironment env = fx.environment(cloud, NS);
        Machine box = new ProbeBox().create(env, CreateOptions.defaults()).get(0);
        Path root = Standins.root(box.id()).orElseThrow();
        Path state = root.resolve("var/lib/cgrender");
        Path command = root.resolve("usr/local/bin/cgrender-box");
        assertTrue(Files.isExecutable(command), "installed with the agent");
        // as the login user, with no sudo: the stand-in's user may write the stand-in's state directory itself
        Map<String, String> noSudo = Map.of("CGRENDER_SUDO", "", "CGRENDER_AGENT",
                root.resolve("usr/local/lib/cgrender/agent.sh").toString());
        Instant expires = Instant.parse(box.tags().get(Tags.EXPIRES_AT));

        OsCommand.Result status = Standins.runOnBox(box.id(), noSudo, "cgrender-box", "status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("box:         " + box.id()) && status.stdout().contains(
                "role:        probe-box") && status.stdout().contains("namespace:   " + NS), status.stdout());
        assertTrue(status.stdout().contains("; an extension reaches at most 3h from now"), status.stdout());

        OsCommand.Result extended = Standins.runOnBox(box.id(), noSudo, "cgrender-box", "extend", "2h");
        assertEquals(0, extended.exitCode(), extended + agentLog(box));
        long moved = Long.parseLong(Files.readString(state.resolve("expires-at")).strip());
        assertTrue(moved > expires.getEpochSecond() && moved <= Instant.now().plus(Duration.ofHours(3))
                .getEpochSecond(), "later, at most the box's max lifetime (its tag) from now: " + moved);
        assertEquals(Instant.ofEpochSecond(moved), Instant.parse(tag(box, Tags.EXPIRES_AT)), "the tag moved too");
        assertTrue(extended.stdout().startsWith("box " + box.id() + " now ends itself at "
                + Instant.ofEpochSecond(moved) + " at the latest"), extended.stdout());

        OsCommand.Result kept = Standins.runOnBox(box.id(), noSudo, "cgrender-box", "keep");
        assertEquals(0, kept.exitCode(), kept.toString());
        assertTrue(Files.exists(state.resolve("kept")), kept.toString());
        assertTrue(io.cgrender.core.box.BoxLifetime.of(cloud.find(box.id()).orElseThrow()).kept(),
                "the client sees the keep: " + tag(box, Tags.KEPT));
        OsCommand.Result noExtension = Standins.runOnBox(box.id(), noSudo, "cgrender-box", "extend", "1h");
        assertTrue(noExtension.exitCode() == 0 && noExtension.stdout().contains("nothing to extend"),
                noExtension.toString());

        OsCommand.Result bad = Standins.runOnBox(box.id(), noSudo, "cgrender-box", "extend", "soon");
        assertEquals(2, bad.exitCode(), bad.toString());
        OsCommand.Result forged = Standins.runOnBox(box.id(), noSudo, root.resolve("usr/local/lib/cgrender/agent.sh")
                .toString(), "--obey", "keep; rm -rf ~");
        assertEquals(2, forged.exitCode(), "the same validation as a message from the queue: " + forged);

        long beforeRelease = Instant.now().getEpochSecond();
        OsCommand.Result released = Standins.runOnBox(box.id(), noSudo, "cgrender-box", "release");
        assertEquals(0, released.exitCode(), released.toString());
        assertFalse(Files.exists(state.resolve("kept")));
        assertEquals("", tag(box, Tags.KEPT), "released: the tag is empty");
        assertTrue(Long.parseLong(Files.readString(state.resolve("last-busy")).strip()) >= beforeRelease,
                "the idle timer restarts at the release");
        assertEquals(moved, Long.parseLong(Files.readString(state.resolve("expires-at")).strip()),
                "the expiry before the keep, later than the idle timeout from now");
        assertFalse(io.cgrender.core.box.BoxLifetime.of(cloud.find(box.id()).orElseThrow()).kept());
    }

    private String tag(Machine box, String key) {
        return fx.instance(box.id()).tags().stream().filter(t -> t.key().equals(key)).map(Tag::value).findFirst()
                .orElse(null);
    }

    @Test
    void aQueueWhoseBoxWentAwayBehindCgrendersBackIsFoundAndRemovedByGc() {
        Ec2Cloud cloud = fx.cloud(Map.of(), NS);
        Machine box = cloud.launch(fx.spec(NS, "probe-box"));
        assertTrue(cloud.ec2Agents().channel().queueUrl(box.id()).isPresent(), "made at launch");
        fx.ec2.terminateInstances(r -> r.instanceIds(box.id()));
        assertTrue(Poll.until(TIMEOUT, () -> "terminated".equals(fx.state(box.id()))));

        Ec2Garbage gc = new Ec2Garbage(cloud);
        List<Garbage> found = gc.find(NS, Set.of("probe-box"), Instant.now());
        List<Garbage> queues = found.stream().filter(g -> g.kind().equals(Ec2Garbage.AGENT_QUEUE)).toList();
        assertEquals(1, queues.size(), found.toString());
        assertTrue(queues.get(0).reason().contains(box.id()), found.toString());
        assertTrue(found.stream().anyMatch(g -> g.kind().equals(Ec2Garbage.AGENT_TOPIC)), found.toString());
        found.forEach(gc::remove);
        assertEquals(Optional.empty(), cloud.ec2Agents().channel().queueUrl(box.id()));
        assertTrue(gc.find(NS, Set.of("probe-box"), Instant.now()).stream().noneMatch(g -> g.kind()
                .startsWith("agent")));
    }

    @Test
    void withPresignedResultsBoxesGetNoChannelWhichIsSaidOnce() {
        Ec2Cloud cloud = fx.cloud(Map.of("cgrender.ec2.results.box-access", "presigned"), NS);
        Machine first = cloud.launch(fx.spec(NS, "probe-box"));
        Machine second = cloud.launch(fx.spec(NS, "probe-box"));
        assertEquals(Optional.empty(), cloud.ec2Agents().channel().queueUrl(first.id()));
        assertEquals(Optional.empty(), cloud.ec2Agents().channel().queueUrl(second.id()));
        String err = fx.err.toString();
        assertEquals(1, err.split("have no agent channel", -1).length - 1, err);
        assertTrue(fx.ec2.describeIamInstanceProfileAssociations().iamInstanceProfileAssociations().isEmpty());
    }

    @Test
    void aRefusedPublishIsSaidAndTheKeyChangeGoesOn() {
        // a user whose policy gives boxes no channel (docs/iam/cgrender-ec2.json) may not publish either
        Ec2Cloud cloud = fx.cloud(fx.throughProxy(), NS);
        fx.proxy.faults().failNext("Publish", 1, 403, "AuthorizationError", "User is not authorized to perform:"
                + " SNS:Publish");
        cloud.ec2Agents().broadcast(AgentCommand.syncKeys());
        String err = fx.err.toString();
        assertTrue(err.contains("AWS refused publishing") && err.contains("sns:Publish"), err);
    }

    // ---------------------------------------------------------------- helpers

    private List<Subscription> subscriptions(Ec2Cloud cloud) {
        return cloud.aws().sns().listSubscriptionsByTopic(r -> r.topicArn(cloud.ec2Agents().channel()
                .topicArn(cloud.ec2Agents().account()))).subscriptions();
    }

    /** Registers a key as register-key does, in the namespace's registry of key pairs. */
    private static void register(Ec2Cloud cloud, String name, Path key) throws Exception {
        cloud.keys().orElseThrow().register(name, Files.readString(key.resolveSibling(key.getFileName() + ".pub")));
    }

    private Path keyPair(String name) {
        return keyPair(name, "ed25519");
    }

    private Path keyPair(String name, String type) {
        Path key = temp.resolve(name);
        OsCommand.run(Duration.ofSeconds(30), "ssh-keygen", "-q", "-t", type, "-N", "", "-C", name, "-f",
                key.toString()).requireSuccess();
        return key;
    }

    /** The exit code of the system ssh logging in to the box with {@code key}: 0 in, 255 refused. */
    private OsCommand.Result login(Ec2Cloud cloud, Machine box, Path key) {
        SshEndpoint at = cloud.accessFor(box).endpoint();
        return OsCommand.run(Duration.ofSeconds(30), "ssh", "-F", "none", "-i", key.toString(), "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-p", Integer.toString(at.port()), at.user() + "@" + at.host(), "true");
    }

    private void runOnce(Path watchdog, Map<String, String> env) {
        List<String> command = new java.util.ArrayList<>(List.of("env"));
        env.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of("bash", watchdog.toString(), "--once"));
        OsCommand.run(Duration.ofSeconds(30), command);
    }

    private static String blob(String keyLine) {
        return keyLine.strip().split("\\s+")[1];
    }

    private static String blob(Path key) {
        return blob(read(key.resolveSibling(key.getFileName() + ".pub")));
    }

    private static String agentLog(Machine box) {
        return "\nagent log:\n" + Standins.agentLog(box.id());
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
