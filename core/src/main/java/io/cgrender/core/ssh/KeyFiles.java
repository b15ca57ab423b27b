package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.util.security.SecurityUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Iterator;
import java.util.Set;

/**
 * Ed25519 key pairs in OpenSSH's file formats: a private key file readable only by its owner (0600) and a
 * {@code .pub} next to it, so the system {@code ssh -i} can use the same key as cgrender.
 */
public final class KeyFiles {

    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    private KeyFiles() {
    }

    public static KeyPair generateEd25519() {
        try {
            return KeyUtils.generateKeyPair(org.apache.sshd.common.keyprovider.KeyPairProvider.SSH_ED25519, 256);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an ed25519 key: " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code pair} to {@code privateKey} (mode 0600, created that way so it is never readable by others) and
     * its public half to {@code privateKey.pub} (0644). The {@code .pub} is written first and the private key last,
     * each complete under a temporary name of its own and then published in one step, so whoever sees the private
     * key sees it whole, with its {@code .pub} beside it. The private key is published without replacing: if the file
     * exists, this fails with {@link FileAlreadyExistsException} and changes nothing but the {@code .pub}, so
     * concurrent writers of one key hold a lock around this (as {@link NamespaceKey} does).
     */
    public static void write(KeyPair pair, Path privateKey, String comment) throws IOException {
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        try {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, comment, null, encoded);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encode private key: " + e.getMessage(), e);
        }
        Files.createDirectories(privateKey.getParent());
        if (Files.exists(privateKey)) {
            throw new FileAlreadyExistsException(privateKey.toString());
        }
        writePublic(pair, privateKey, comment);
        Path tmp = temporary(privateKey, PRIVATE);
        try {
            Files.write(tmp, encoded.toByteArray());
            Files.createLink(privateKey, tmp); // fails if the file exists: never replaces a key
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** (Re)writes {@code privateKey.pub} with the public half of {@code pair}, replacing it in one step. */
    public static void writePublic(KeyPair pair, Path privateKey, String comment) throws IOException {
        Path tmp = temporary(privateKey, PUBLIC);
        try {
            Files.writeString(tmp, publicKeyLine(pair.getPublic()) + " " + comment + "\n");
            Files.move(tmp, publicKeyFile(privateKey), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Whether {@code privateKey.pub} exists and holds the public half of {@code pair}. */
    public static boolean hasPublicHalf(Path privateKey, KeyPair pair) throws IOException {
        Path pub = publicKeyFile(privateKey);
        if (!Files.exists(pub)) {
            return false;
        }
        String[] fields = Files.readString(pub).strip().split("\\s+");
        return fields.length >= 2 && publicKeyLine(pair.getPublic()).equals(fields[0] + " " + fields[1]);
    }

    /** A new, empty file with mode {@code mode} next to {@code file}, its name unique to this writer. */
    private static Path temporary(Path file, Set<PosixFilePermission> mode) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(mode));
        Files.setPosixFilePermissions(tmp, mode); // the umask may have taken some away
        return tmp;
    }

    /** Reads a private key written by {@link #write} (or by {@code ssh-keygen}, unencrypted). */
    public static KeyPair read(Path privateKey) throws IOException {
        try (InputStream in = Files.newInputStream(privateKey)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null,
                    NamedResource.ofName(privateKey.toString()), in, FilePasswordProvider.EMPTY);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IOException("no key found in " + privateKey);
            }
            return it.next();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read key " + privateKey + ": " + e.getMessage(), e);
        }
    }

    public static Path publicKeyFile(Path privateKey) {
        return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
    }

    /** {@code "ssh-ed25519 AAAA…"}, without comment. */
    public static String publicKeyLine(PublicKey key) {
        return PublicKeyEntry.toString(key);
    }

    /** Parses one OpenSSH public key line ({@code "type base64 [comment]"}). */
    public static PublicKey parsePublicKeyLine(String line) {
        try {
            return PublicKeyEntry.parsePublicKeyEntry(line.trim()).resolvePublicKey(null, null, null);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new CgrenderException("not a usable OpenSSH public key: '" + abbreviate(line) + "' ("
                    + e.getMessage() + ")", e);
        }
    }

    public static HostKeyFingerprint fingerprint(PublicKey key) {
        return HostKeyFingerprint.ofPublicKeyLine(publicKeyLine(key));
    }

    private static String abbreviate(String line) {
        String s = line.trim();
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

}
