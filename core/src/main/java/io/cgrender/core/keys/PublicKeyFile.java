package io.cgrender.core.keys;

import io.cgrender.core.UsageException;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.KeyFiles;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A public key someone registers in a namespace ({@code cgrender register-key}), parsed for real and checked: one
 * OpenSSH public key line of type ed25519, ECDSA (nistp256/384/521) or RSA of at least {@value #MIN_RSA_BITS} bits.
 * Everything else is refused with a {@link UsageException} that says why: a private key, a short RSA key, DSA, another
 * type, several keys in one file, or text that is no key at all.
 *
 * @param type        the key type, e.g. {@code ssh-ed25519}
 * @param fingerprint its OpenSSH fingerprint, {@code SHA256:…}
 * @param line        the line {@code authorized_keys} takes: type, base64 and the file's comment where it is plain
 *                    printable ASCII (never options, never control characters)
 */
public record PublicKeyFile(String type, String fingerprint, String line) {

    /** The names keys are registered under. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    public static final int MIN_RSA_BITS = 3072;
    /** A public key file is one line; anything this large is something else. */
    private static final long MAX_FILE_BYTES = 64 * 1024;
    private static final Set<String> ACCEPTED = Set.of("ssh-ed25519", "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa");
    private static final Pattern PLAIN_COMMENT = Pattern.compile("[\\x21-\\x7e][\\x20-\\x7e]{0,199}");

    /** {@code name} if it can name a registered key, else a {@link UsageException} saying what a name may be. */
    public static String requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new UsageException("'" + name + "' cannot name a key: a key name is 1 to 63 lower-case letters,"
                    + " digits, '.', '_' or '-', starting with a letter or digit (e.g. alice or bob-laptop)");
        }
        return name;
    }

    /** Reads and checks the key in {@code file}. */
    public static PublicKeyFile read(Path file) {
        String text;
        try {
            if (Files.isDirectory(file)) {
                throw new UsageException(file + " is a directory, not a public key file");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new UsageException(file + " is " + Files.size(file) + " bytes long: a public key file is one"
                        + " line (give the .pub of an SSH key)");
            }
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UsageException("no such file: " + file);
        } catch (IOException e) {
            throw new UsageException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /**
     * Parses and checks {@code text}, the content of a public key file or a key line.
     *
     * @param source what {@code text} came from, for the messages (a file name)
     */
    public static PublicKeyFile parse(String text, String source) {
        if (text.contains("PRIVATE KEY-----") || text.startsWith("PuTTY-User-Key-File")) {
            throw new UsageException(source + " is a private key: give its .pub, the public half (a private key"
                    + " never leaves its machine)");
        }
        if (text.contains("BEGIN SSH2 PUBLIC KEY") || text.contains("BEGIN PUBLIC KEY")
                || text.contains("BEGIN RSA PUBLIC KEY")) {
            throw new UsageException(source + " holds a public key in another format than OpenSSH's one-line format;"
                    + " convert it with ssh-keygen -i -f FILE (add -m PKCS8 for a PEM key) and give the result");
        }
        List<String> lines = text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
        if (lines.isEmpty()) {
            throw new UsageException(source + " holds no public key (it is empty)");
        }
        if (lines.size() > 1) {
            throw new UsageException(source + " holds " + lines.size() + " lines: give a file with exactly one"
                    + " public key, and register each key under a name of its own");
        }
        String[] fields = lines.get(0).split("\\s+", 3);
        String declared = fields[0];
        if (declared.equals("ssh-dss")) {
            throw new UsageException(source + " is a DSA key, which OpenSSH no longer accepts: make an ed25519 key"
                    + " (ssh-keygen -t ed25519) and register that");
        }
        if (!ACCEPTED.contains(declared)) {
            throw new UsageException(source + " is not an OpenSSH public key of an accepted type (its first word is '"
                    + abbreviate(declared) + "'); give an ed25519, ECDSA or RSA (3072 bits or more) public key, the"
                    + " one line of a .pub file");
        }
        if (fields.length < 2) {
            throw new UsageException(source + " holds only the word '" + declared + "', not a whole public key");
        }
        PublicKey key;
        try {
            key = PublicKeyEntry.parsePublicKeyEntry(declared + " " + fields[1]).resolvePublicKey(null, null, null);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new UsageException(source + " is not a readable " + declared + " public key (" + e.getMessage()
                    + ")", e);
        }
        if (key == null) {
            throw new UsageException(source + " is not a readable " + declared + " public key");
        }
        String type = KeyUtils.getKeyType(key);
        if (!declared.equals(type)) {
            throw new UsageException(source + " says it is a " + declared + " key but holds a " + type + " key");
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new UsageException(source + " is an RSA key of " + rsa.getModulus().bitLength() + " bits, too short:"
                    + " RSA keys need at least " + MIN_RSA_BITS + " bits (better, an ed25519 key: ssh-keygen -t"
                    + " ed25519)");
        }
        String base = KeyFiles.publicKeyLine(key);
        String comment = fields.length == 3 && PLAIN_COMMENT.matcher(fields[2].strip()).matches()
                ? " " + fields[2].strip() : "";
        return new PublicKeyFile(type, HostKeyFingerprint.ofPublicKeyLine(base).value(), base + comment);
    }

    private static String abbreviate(String word) {
        String printable = word.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= 24 ? printable : printable.substring(0, 21) + "...";
    }
}
