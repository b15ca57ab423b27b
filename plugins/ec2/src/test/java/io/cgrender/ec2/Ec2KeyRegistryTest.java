package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.Garbage;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.keys.RegisteredKey;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A namespace's registered keys on EC2, against moto: key pairs tagged with the namespace, read back with their public
 * keys; what is refused; what another namespace sees; clients registering at the same moment; gc.
 */
class Ec2KeyRegistryTest {

    private static final Namespace NS = Namespace.parse("/team/", null);
    private static final Namespace OTHER = Namespace.parse("/team/ci/", null);
    private static final Duration TOOL = Duration.ofSeconds(60);

    @TempDir
    Path temp;
    private Ec2Fixture fx;
    private final List<AwsProxy> proxies = new ArrayList<>();

    @BeforeEach
    void start() {
        fx = new Ec2Fixture(temp);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (fx != null) {
                fx.close();
            }
        } finally {
            proxies.forEach(AwsProxy::close);
        }
    }

    /** A key made by ssh-keygen, with the fingerprint ssh-keygen gives it. */
    private record Generated(String line, String type, String fingerprint) {
    }

    private Generated sshKeygen(String name, String... typeArgs) {
        Path file = temp.resolve("keys").resolve(name);
        List<String> command = new ArrayList<>(List.of("ssh-keygen", "-q", "-N", "", "-C", name + "@laptop", "-f",
                file.toString()));
        command.addAll(List.of(typeArgs));
        try {
            Files.createDirectories(file.getParent());
            OsCommand.run(TOOL, command).requireSuccess();
            String line = Files.readString(Path.of(file + ".pub")).strip();
            String fingerprint = OsCommand.run(TOOL, "ssh-keygen", "-l", "-E", "sha256", "-f", file + ".pub")
                    .requireSuccess().stdout().split("\\s+")[1];
            return new Generated(line, line.split(" ")[0], fingerprint);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private KeyRegistry registry(Namespace ns) {
        return fx.cloud(Map.of(), ns).keys().orElseThrow();
    }

    @Test
    void keysAreRegisteredListedWithTheirTypeAndOpenSshFingerprintAndRemoved() {
        Generated alice = sshKeygen("alice", "-t", "ed25519");
        Generated bob = sshKeygen("bob", "-t", "ecdsa", "-b", "384");
        Generated carol = sshKeygen("carol", "-t", "rsa", "-b", "3072");
        KeyRegistry keys = registry(NS);
        Instant before = Instant.now().minusSeconds(1);

        RegisteredKey registered = keys.register("alice", alice.line());
        keys.register("bob", bob.line());
        keys.register("carol", carol.line());

        assertEquals(new RegisteredKey("alice", "ssh-ed25519", alice.fingerprint(), registered.addedAt(),
                alice.line().substring(0, alice.line().lastIndexOf(' '))), registered, "the comment is not kept");
        List<RegisteredKey> listed = registry(NS).list();
        assertEquals(List.of("alice", "bob", "carol"), listed.stream().map(RegisteredKey::name).toList());
        assertEquals(List.of("ssh-ed25519", "ecdsa-sha2-nistp384", "ssh-rsa"),
                listed.stream().map(RegisteredKey::type).toList());
        assertEquals(List.of(alice.fingerprint(), bob.fingerprint(), carol.fingerprint()),
                listed.stream().map(RegisteredKey::fingerprint).toList(), "fingerprints as ssh-keygen -l prints them");
        for (RegisteredKey k : listed) {
            assertTrue(!k.addedAt().isBefore(before) && !k.addedAt().isAfter(Instant.now()), k.toString());
            assertTrue(List.of(alice.line(), bob.line(), carol.line()).contains(k.publicKeyLine() + " " + k.name()
                    + "@laptop"), "the key read back: " + k.publicKeyLine());
        }

        KeyPairInfo pair = fx.ec2.describeKeyPairs(r -> r.keyNames("cgrender_team_.key.alice")).keyPairs().get(0);
        assertEquals(Map.of(Tags.NAMESPACE, "/team/", Tags.KEY_NAME, "alice", Tags.KEY_ADDED_AT,
                registered.addedAt().toString(), Tags.NAME, "/team/ key alice (cgrender)"), tags(pair));
        // EC2 imports ed25519 and RSA keys only (moto too): the ECDSA key travels in a tag of its key pair
        KeyPairInfo ecdsa = fx.ec2.describeKeyPairs(r -> r.keyNames("cgrender_team_.key.bob").includePublicKey(true))
                .keyPairs().get(0);
        assertEquals(listed.get(1).publicKeyLine(), tags(ecdsa).get(Tags.PUBLIC_KEY));
        assertTrue(ecdsa.publicKey().startsWith("ssh-ed25519 "), "a throwaway key nobody holds: " + ecdsa.publicKey());

        assertTrue(keys.remove("bob"));
        assertFalse(keys.remove("bob"), "gone already");
        assertEquals(List.of("alice", "carol"), keys.list().stream().map(RegisteredKey::name).toList());
        assertEquals(Set.of("cgrender_team_.key.alice", "cgrender_team_.key.carol"), keyPairNames());
    }

    @Test
    void aTakenNameAKeyRegisteredAlreadyAndTheNamespacesOwnKeyAreRefused() {
        Ec2Cloud cloud = fx.cloud(Map.of(), NS);
        String own = fx.key(NS).publicKeyLine();
        cloud.keyPairs().ensure(NS, own, fx.key(NS).privateKeyFile().toString());
        KeyRegistry keys = cloud.keys().orElseThrow();
        Generated alice = sshKeygen("alice", "-t", "ed25519");
        Generated other = sshKeygen("other", "-t", "ed25519");
        keys.register("alice", alice.line());

        UsageException taken = assertThrows(UsageException.class, () -> keys.register("alice", other.line()));
        assertTrue(taken.getMessage().contains("a key is registered as 'alice' in /team/ already (ssh-ed25519 "
                + alice.fingerprint()), taken.getMessage());
        assertEquals(Optional.of("fix: cgrender remove-key alice"), taken.hint());

        UsageException twice = assertThrows(UsageException.class, () -> keys.register("alice2", alice.line()));
        assertTrue(twice.getMessage().contains("that key is registered in /team/ already, as 'alice' ("
                + alice.fingerprint() + ")"), twice.getMessage());
        assertEquals(Optional.of("fix: cgrender list-keys"), twice.hint());

        UsageException namespaceKey = assertThrows(UsageException.class, () -> keys.register("me", own));
        assertTrue(namespaceKey.getMessage().contains("the namespace's own key (key pair cgrender_team_)"),
                namespaceKey.getMessage());

        assertEquals(List.of("alice"), keys.list().stream().map(RegisteredKey::name).toList());
        assertEquals(Set.of("cgrender_team_", "cgrender_team_.key.alice"), keyPairNames(), "nothing else imported");
    }

    @Test
    void anotherNamespacesKeysAreNeverSeenNorTouched() {
        Generated alice = sshKeygen("alice", "-t", "ed25519");
        Generated ci = sshKeygen("ci", "-t", "ed25519");
        KeyRegistry team = registry(NS);
        KeyRegistry teamCi = registry(OTHER);
        team.register("alice", alice.line());
        teamCi.register("alice", ci.line());
        teamCi.register("bot", alice.line()); // the same key in another namespace is another registration

        assertEquals(List.of(ci.fingerprint(), alice.fingerprint()),
                teamCi.list().stream().map(RegisteredKey::fingerprint).toList());
        assertEquals(List.of("alice"), team.list().stream().map(RegisteredKey::name).toList());
        assertEquals(alice.fingerprint(), team.list().get(0).fingerprint());

        assertTrue(team.remove("alice"));
        assertFalse(team.remove("bot"), "/team/ has no key bot; /team/ci/ has");
        assertEquals(List.of("alice", "bot"), teamCi.list().stream().map(RegisteredKey::name).toList());
        assertEquals(Set.of("cgrender_team_ci_.key.alice", "cgrender_team_ci_.key.bot"), keyPairNames());
    }

    @Test
    void ofTwoClientsRegisteringOneNameAtOnceOneWinsAndTheOtherIsTold() throws Exception {
        AwsProxy atomic = AwsProxy.oneRequestAtATime(fx.moto.endpoint());
        proxies.add(atomic);
        List<KeyRegistry> clients = List.of(fx.cloud(Map.of("cgrender.aws.endpoint", atomic.endpoint()), NS),
                fx.cloud(Map.of("cgrender.aws.endpoint", atomic.endpoint()), NS)).stream()
                .map(c -> c.keys().orElseThrow()).toList();
        List<Generated> keys = List.of(sshKeygen("laptop", "-t", "ed25519"), sshKeygen("desktop", "-t", "ed25519"));

        List<String> outcomes = together(2, i -> clients.get(i).register("alice", keys.get(i).line()).fingerprint());

        List<String> fingerprints = keys.stream().map(Generated::fingerprint).toList();
        List<String> won = outcomes.stream().filter(fingerprints::contains).toList();
        assertEquals(1, won.size(), outcomes.toString());
        String lost = outcomes.stream().filter(o -> !fingerprints.contains(o)).findFirst().orElseThrow();
        assertTrue(lost.contains("'alice'") && (lost.contains("a moment ago") || lost.contains("already")), lost);
        assertEquals(won, registry(NS).list().stream().map(RegisteredKey::fingerprint).toList());
    }

    @Test
    void ofTwoClientsRegisteringOneKeyUnderTwoNamesAtOnceOneWinsAndTheOtherIsTold() throws Exception {
        AwsProxy atomic = AwsProxy.oneRequestAtATime(fx.moto.endpoint());
        proxies.add(atomic);
        List<KeyRegistry> clients = List.of(fx.cloud(Map.of("cgrender.aws.endpoint", atomic.endpoint()), NS),
                fx.cloud(Map.of("cgrender.aws.endpoint", atomic.endpoint()), NS)).stream()
                .map(c -> c.keys().orElseThrow()).toList();
        Generated key = sshKeygen("laptop", "-t", "ed25519");
        List<String> names = List.of("laptop", "my-laptop");

        List<String> outcomes = together(2, i -> clients.get(i).register(names.get(i), key.line()).name());

        List<String> won = outcomes.stream().filter(names::contains).toList();
        assertEquals(1, won.size(), outcomes.toString());
        String lost = outcomes.stream().filter(o -> !names.contains(o)).findFirst().orElseThrow();
        assertTrue(lost.contains("that key is registered in /team/ already, as '" + won.get(0) + "'"), lost);
        assertEquals(won, registry(NS).list().stream().map(RegisteredKey::name).toList());
    }

    @Test
    void gcNeverTakesARegisteredKeyForAnUnusedKeyPair() {
        Ec2Cloud cloud = fx.cloud(Map.of(), NS);
        cloud.keyPairs().ensure(NS, fx.key(NS).publicKeyLine(), fx.key(NS).privateKeyFile().toString());
        cloud.keys().orElseThrow().register("alice", sshKeygen("alice", "-t", "ed25519").line());

        List<Garbage> garbage = cloud.garbage().orElseThrow().find(NS, Set.of("probe-box"), Instant.now());

        assertEquals(List.of("key pair cgrender_team_"), garbage.stream().map(g -> g.kind() + " " + g.id())
                .filter(g -> g.startsWith("key pair")).toList(), "the namespace's unused key pair, not alice's");
    }

    private Set<String> keyPairNames() {
        return fx.ec2.describeKeyPairs().keyPairs().stream().map(KeyPairInfo::keyName).collect(Collectors.toSet());
    }

    private static Map<String, String> tags(KeyPairInfo pair) {
        return pair.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
    }

    private interface Work {
        String run(int client);
    }

    /** Runs {@code work} on {@code n} threads that start it together; each outcome, or the message of its refusal. */
    private static List<String> together(int n, Work work) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int client = i;
                futures.add(pool.submit(() -> {
                    barrier.await(30, TimeUnit.SECONDS);
                    try {
                        return work.run(client);
                    } catch (UsageException refused) {
                        return refused.getMessage();
                    }
                }));
            }
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : futures) {
                outcomes.add(f.get(2, TimeUnit.MINUTES));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
