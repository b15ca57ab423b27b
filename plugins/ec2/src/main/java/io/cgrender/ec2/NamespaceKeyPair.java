package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.keys.RegisteredKey;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Console;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.DescribeKeyPairsResponse;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The namespace's EC2 key pair, {@code cgrender_<encoded namespace>}: the public half of the namespace's ed25519 key
 * (generated on this client, {@link io.cgrender.core.ssh.NamespaceKey}), imported with {@code ImportKeyPair} and
 * tagged with the namespace. The private key never leaves the client. A key pair of that name holding another key is
 * never overwritten: it belongs to the same namespace used from another machine. This machine launches with it all the
 * same when its own key is registered in the namespace ({@link Ec2KeyRegistry}; its boxes authorize that key from
 * their first boot), and is refused, told to register its key, when it is not. Clients importing it at the same moment
 * all succeed: the one whose import EC2 takes made it, the others find it (waiting while EC2 does not show it yet) and
 * use it, as it holds the same key when they are on the same machine (or theirs is registered).
 */
final class NamespaceKeyPair {

    private final AwsClients aws;
    private final Duration pollInterval;
    private final Console console;

    NamespaceKeyPair(AwsClients aws, Duration pollInterval, Console console) {
        this.aws = aws;
        this.pollInterval = pollInterval;
        this.console = console;
    }

    static String name(Namespace namespace) {
        return "cgrender" + namespace.encoded();
    }

    /** What {@link #ensure} found or made. */
    record Ensured(String name, boolean created) {
    }

    /** Imports the namespace's public key unless the key pair exists with the same key. */
    Ensured ensure(Namespace namespace, String publicKeyLine, String keyFile) {
        String name = name(namespace);
        Optional<KeyPairInfo> existing = describe(name);
        if (existing.isPresent()) {
            requireUsable(namespace, existing.get(), publicKeyLine, keyFile);
            return new Ensured(name, false);
        }
        try {
            aws.ec2().importKeyPair(r -> r.keyName(name)
                    .publicKeyMaterial(SdkBytes.fromUtf8String(publicKeyLine.strip()))
                    .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.KEY_PAIR)
                            .tags(Tag.builder().key(Tags.NAMESPACE).value(namespace.toString()).build(),
                                    Tag.builder().key(Tags.NAME).value(namespace + " (cgrender)").build())
                            .build()));
            return new Ensured(name, true);
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidKeyPair.Duplicate")) {
                throw aws.explain("importing key pair " + name, e);
            }
            // Another cgrender imported it meanwhile: fine if it is our key.
            KeyPairInfo theirs = Visibility.await("key pair " + name, pollInterval, console.progress(),
                    () -> describe(name));
            requireUsable(namespace, theirs, publicKeyLine, keyFile);
            return new Ensured(name, false);
        }
    }

    Optional<KeyPairInfo> describe(String name) {
        try {
            DescribeKeyPairsResponse r = aws.ec2().describeKeyPairs(q -> q.keyNames(name).includePublicKey(true));
            return r.keyPairs().stream().filter(k -> name.equals(k.keyName())).findFirst();
        } catch (SdkException e) {
            if (AwsErrors.is(e, "InvalidKeyPair.NotFound")) {
                return Optional.empty();
            }
            throw aws.explain("looking up key pair " + name, e);
        }
    }

    /** Deletes the key pair; one that is gone already is fine. */
    void delete(String name) {
        try {
            aws.ec2().deleteKeyPair(r -> r.keyName(name));
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidKeyPair.NotFound")) {
                throw aws.explain("deleting key pair " + name, e);
            }
        }
    }

    /**
     * Fine when the key pair holds this machine's key, or when this machine's key is registered in the namespace (the
     * namespace used from several machines); refused, with how to register it, when neither.
     */
    private void requireUsable(Namespace namespace, KeyPairInfo existing, String publicKeyLine, String keyFile) {
        if (holds(existing, publicKeyLine)) {
            return;
        }
        Optional<RegisteredKey> registered = new Ec2KeyRegistry(aws, this, namespace).holding(publicKeyLine);
        if (registered.isPresent()) {
            console.verbose("the key pair " + existing.keyName() + " holds another machine's key; this machine's key is"
                    + " registered in " + namespace + " as '" + registered.get().name() + "', which boxes authorize"
                    + " from their first boot");
            return;
        }
        throw new UsageException("the EC2 key pair " + existing.keyName() + " in " + aws.region().id() + " holds"
                + " another key (fingerprint " + existing.keyFingerprint() + ") than this machine's key of the"
                + " namespace, " + keyFile + " (" + HostKeyFingerprint.ofPublicKeyLine(publicKeyLine) + "): the"
                + " namespace " + namespace + " is used from another machine, and this machine's key is not registered"
                + " in it. Register this machine's public key under a name of your choice (NAME); the namespace's boxes"
                + " then let this machine in too").fix("cgrender register-key NAME "
                + Shell.quote(KeyFiles.publicKeyFile(Path.of(keyFile)).toString()));
    }

    private static boolean holds(KeyPairInfo existing, String publicKeyLine) {
        String[] ours = publicKeyLine.strip().split("\\s+");
        if (existing.publicKey() != null && !existing.publicKey().isBlank()) {
            String[] theirs = existing.publicKey().strip().split("\\s+");
            return theirs.length >= 2 && theirs[0].equals(ours[0]) && theirs[1].equals(ours[1]);
        }
        return existing.keyFingerprint() != null
                && awsFingerprints(ours[1]).contains(normalize(existing.keyFingerprint()));
    }

    /**
     * The forms EC2 (and its emulators) print an imported ed25519 key's fingerprint in: the SHA-256 of the OpenSSH key
     * blob in base64 (what AWS documents, as ssh-keygen -l prints it) and the SHA-256 of the DER public key in hex.
     */
    private static Set<String> awsFingerprints(String base64Blob) {
        byte[] blob = Base64.getDecoder().decode(base64Blob);
        byte[] raw = java.util.Arrays.copyOfRange(blob, blob.length - 32, blob.length);
        byte[] der = new byte[12 + 32];
        byte[] prefix = HexFormat.of().parseHex("302a300506032b6570032100");
        System.arraycopy(prefix, 0, der, 0, prefix.length);
        System.arraycopy(raw, 0, der, prefix.length, raw.length);
        return Set.of(normalize(Base64.getEncoder().withoutPadding().encodeToString(sha256(blob))),
                normalize(HexFormat.of().formatHex(sha256(der))));
    }

    private static String normalize(String fingerprint) {
        String f = fingerprint.strip();
        if (f.startsWith("SHA256:")) {
            f = f.substring("SHA256:".length());
        }
        while (f.endsWith("=")) {
            f = f.substring(0, f.length() - 1);
        }
        return f.contains(":") || f.matches("[0-9a-fA-F]{64}") ? f.replace(":", "").toLowerCase(Locale.ROOT) : f;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
