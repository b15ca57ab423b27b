package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.keys.RegisteredKey;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.KeyFiles;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The keys registered in a namespace on EC2: one key pair per key, {@code cgrender<encoded namespace>.key.<name>},
 * imported with {@code ImportKeyPair} and tagged with the namespace, {@link Tags#KEY_NAME} and
 * {@link Tags#KEY_ADDED_AT}; read back with {@code DescribeKeyPairs} (the namespace's tag, {@code IncludePublicKey}).
 * The namespace's own key pair ({@link NamespaceKeyPair}) carries no key name and is not a registered key.
 * <p>
 * EC2 imports ed25519 and RSA keys only. An ECDSA key is kept in the tag {@link Tags#PUBLIC_KEY} of a key pair whose
 * material is a throwaway ed25519 key made here (its private half is never written anywhere, so that key authorizes
 * nobody); every reader takes a key pair's key from that tag where it has one.
 */
final class Ec2KeyRegistry implements KeyRegistry {

    /** EC2's limit on a key pair's name. */
    static final int MAX_NAME = 255;
    static final String INFIX = ".key.";

    private final AwsClients aws;
    private final NamespaceKeyPair keyPairs;
    private final Namespace namespace;

    Ec2KeyRegistry(AwsClients aws, NamespaceKeyPair keyPairs, Namespace namespace) {
        this.aws = aws;
        this.keyPairs = keyPairs;
        this.namespace = namespace;
    }

    /** The key pair of the key registered as {@code name} in {@code namespace}. */
    static String keyPairName(Namespace namespace, String name) {
        return NamespaceKeyPair.name(namespace) + INFIX + name;
    }

    @Override
    public RegisteredKey register(String name, String publicKeyLine) {
        String line = normalized(publicKeyLine);
        String keyPair = keyPairName(namespace, name);
        if (keyPair.length() > MAX_NAME) {
            throw new UsageException("the key pair of key '" + name + "' would be named " + keyPair + ", longer than"
                    + " the " + MAX_NAME + " characters EC2 allows: use a shorter name or namespace");
        }
        requireNotTheNamespaceKey(line);
        List<RegisteredKey> registered = list();
        registered.stream().filter(k -> k.name().equals(name)).findFirst().ifPresent(k -> {
            throw nameTaken(name, k);
        });
        holding(line, registered).ifPresent(k -> {
            throw sameKey(k);
        });
        Instant addedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        boolean ecdsa = line.startsWith("ecdsa-");
        String material = ecdsa ? KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic()) : line;
        List<Tag> tags = new ArrayList<>(List.of(tag(Tags.NAMESPACE, namespace.toString()), tag(Tags.KEY_NAME, name),
                tag(Tags.KEY_ADDED_AT, addedAt.toString()), tag(Tags.NAME, namespace + " key " + name + " (cgrender)")));
        if (ecdsa) {
            tags.add(tag(Tags.PUBLIC_KEY, line));
        }
        try {
            aws.ec2().importKeyPair(r -> r.keyName(keyPair).publicKeyMaterial(SdkBytes.fromUtf8String(material))
                    .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.KEY_PAIR).tags(tags)
                            .build()));
        } catch (SdkException e) {
            if (AwsErrors.is(e, "InvalidKeyPair.Duplicate")) {
                throw new UsageException("another client registered a key as '" + name + "' in " + namespace
                        + " a moment ago").fix("cgrender list-keys");
            }
            if (AwsErrors.is(e, "InvalidKeyPair.Format", "InvalidParameterValue")) {
                throw new UsageException("EC2 does not take the key " + name + " (" + line.split(" ")[0] + "): "
                        + AwsErrors.summary(e));
            }
            throw aws.explain("importing key pair " + keyPair, e);
        }
        RegisteredKey ours = registeredKey(name, line, addedAt);
        resolveRace(ours, keyPair);
        return ours;
    }

    /**
     * Two clients registering one key under two names at the same moment may both get past the check: the key pair EC2
     * made later (by its creation time, then name) gives way to the earlier one, so the key stays registered once. Of
     * two imports, the later one's listing shows the earlier, so at least the one that must give way sees it.
     */
    private void resolveRace(RegisteredKey ours, String keyPair) {
        List<Entry> entries = entries();
        Optional<Entry> mine = entries.stream().filter(e -> e.key().name().equals(ours.name())).findFirst();
        if (mine.isEmpty()) {
            return; // not shown yet: nothing to compare with
        }
        Comparator<Entry> order = Comparator.comparing(Entry::createdAt).thenComparing(e -> e.key().name());
        Optional<Entry> earlier = entries.stream().filter(e -> !e.key().name().equals(ours.name()))
                .filter(e -> e.key().publicKeyLine().equals(ours.publicKeyLine()))
                .filter(e -> order.compare(e, mine.get()) < 0).findFirst();
        if (earlier.isPresent()) {
            keyPairs.delete(keyPair);
            throw sameKey(earlier.get().key());
        }
    }

    @Override
    public List<RegisteredKey> list() {
        return entries().stream().map(Entry::key).toList();
    }

    /** A registered key and when EC2 made its key pair. */
    private record Entry(RegisteredKey key, Instant createdAt) {
    }

    private List<Entry> entries() {
        Filter ours = Filter.builder().name("tag:" + Tags.NAMESPACE).values(namespace.toString()).build();
        List<KeyPairInfo> pairs = aws.call("listing the keys of " + namespace, () -> aws.ec2()
                .describeKeyPairs(r -> r.filters(ours).includePublicKey(true)).keyPairs());
        List<Entry> keys = new ArrayList<>();
        for (KeyPairInfo pair : pairs) {
            Map<String, String> tags = pair.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value,
                    (a, b) -> a));
            String name = tags.get(Tags.KEY_NAME);
            if (name == null || !namespace.toString().equals(tags.get(Tags.NAMESPACE))
                    || !keyPairName(namespace, name).equals(pair.keyName())) {
                continue; // the namespace's own key pair, or not one cgrender registered here
            }
            Optional<String> line = publicKey(pair, tags);
            if (line.isEmpty()) {
                continue;
            }
            Instant createdAt = pair.createTime() == null ? Instant.EPOCH : pair.createTime();
            Instant addedAt = instant(tags.get(Tags.KEY_ADDED_AT)).orElse(createdAt);
            keys.add(new Entry(registeredKey(name, line.get(), addedAt), createdAt));
        }
        keys.sort(Comparator.comparing(e -> e.key().name()));
        return keys;
    }

    @Override
    public boolean remove(String name) {
        Optional<RegisteredKey> key = list().stream().filter(k -> k.name().equals(name)).findFirst();
        if (key.isEmpty()) {
            return false;
        }
        keyPairs.delete(keyPairName(namespace, name));
        return true;
    }

    /** The registered key that is {@code publicKeyLine}, if there is one. */
    Optional<RegisteredKey> holding(String publicKeyLine) {
        return holding(normalized(publicKeyLine), list());
    }

    private static Optional<RegisteredKey> holding(String line, List<RegisteredKey> registered) {
        return registered.stream().filter(k -> k.publicKeyLine().equals(line)).findFirst();
    }

    private void requireNotTheNamespaceKey(String line) {
        Optional<String> own = keyPairs.describe(NamespaceKeyPair.name(namespace)).map(KeyPairInfo::publicKey)
                .filter(k -> !k.isBlank());
        if (own.isPresent() && normalized(own.get()).equals(line)) {
            throw new UsageException("that key is the namespace's own key (key pair " + NamespaceKeyPair.name(namespace)
                    + "): every box of " + namespace + " authorizes it already");
        }
    }

    private UsageException nameTaken(String name, RegisteredKey existing) {
        return (UsageException) new UsageException("a key is registered as '" + name + "' in " + namespace + " already ("
                + existing.type() + " " + existing.fingerprint() + ", added " + existing.addedAt() + "); choose another"
                + " name, or remove that key first").fix("cgrender remove-key " + name);
    }

    private UsageException sameKey(RegisteredKey existing) {
        return (UsageException) new UsageException("that key is registered in " + namespace + " already, as '"
                + existing.name() + "' (" + existing.fingerprint() + ")").fix("cgrender list-keys");
    }

    /** A key pair's public key: its {@link Tags#PUBLIC_KEY} tag, else its material; empty if unusable. */
    static Optional<String> publicKey(KeyPairInfo pair, Map<String, String> tags) {
        String text = tags.getOrDefault(Tags.PUBLIC_KEY, pair.publicKey());
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(normalized(text));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** {@code "type base64"}: the key as OpenSSH writes it, without options or comment. */
    static String normalized(String publicKeyLine) {
        return KeyFiles.publicKeyLine(KeyFiles.parsePublicKeyLine(publicKeyLine));
    }

    private static RegisteredKey registeredKey(String name, String line, Instant addedAt) {
        return new RegisteredKey(name, line.substring(0, line.indexOf(' ')),
                KeyFiles.fingerprint(KeyFiles.parsePublicKeyLine(line)).toString(), addedAt, line);
    }

    private static Tag tag(String key, String value) {
        return Tag.builder().key(key).value(value).build();
    }

    private static Optional<Instant> instant(String text) {
        try {
            return text == null ? Optional.empty() : Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
