package io.cgrender.core.keys;

import io.cgrender.core.UsageException;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.KeyFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What register-key accepts as a public key, and how it says why it refuses the rest. */
class PublicKeyFileTest {

    @TempDir
    Path dir;

    private static KeyPair rsa(int bits) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits);
        return generator.generateKeyPair();
    }

    private static KeyPair ec(String curve) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }

    private Path pub(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private String refusal(Path file) {
        return assertThrows(UsageException.class, () -> PublicKeyFile.read(file)).getMessage();
    }

    @Test
    void ed25519EcdsaAndLongRsaKeysAreAcceptedWithTheirTypeAndFingerprint() throws Exception {
        KeyPair ed = KeyFiles.generateEd25519();
        String edLine = KeyFiles.publicKeyLine(ed.getPublic());
        PublicKeyFile parsed = PublicKeyFile.read(pub("ed.pub", edLine + " alice@laptop\n"));
        assertEquals("ssh-ed25519", parsed.type());
        assertEquals(HostKeyFingerprint.ofPublicKeyLine(edLine).value(), parsed.fingerprint());
        assertEquals(edLine + " alice@laptop", parsed.line(), "the comment is kept");

        for (String[] curve : new String[][] {{"secp256r1", "ecdsa-sha2-nistp256"},
                {"secp384r1", "ecdsa-sha2-nistp384"}, {"secp521r1", "ecdsa-sha2-nistp521"}}) {
            String line = KeyFiles.publicKeyLine(ec(curve[0]).getPublic());
            assertEquals(curve[1], PublicKeyFile.read(pub(curve[1], line + "\n")).type());
        }
        assertEquals("ssh-rsa", PublicKeyFile.read(pub("rsa.pub",
                KeyFiles.publicKeyLine(rsa(3072).getPublic()) + " bob\n")).type());
    }

    @Test
    void aCommentWithControlCharactersIsDropped() throws Exception {
        String line = KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
        assertEquals(line, PublicKeyFile.parse(line + " evil\u0007bell", "x").line());
    }

    @Test
    void privateKeysAreRefusedAskingForTheirPub() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyFiles.write(KeyFiles.generateEd25519(), key, "test");
        assertTrue(refusal(key).contains("is a private key: give its .pub"));
        assertTrue(refusal(pub("pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"))
                .contains("is a private key"));
    }

    @Test
    void aShortRsaKeyIsRefusedNamingItsBits() throws Exception {
        String message = refusal(pub("rsa.pub", KeyFiles.publicKeyLine(rsa(2048).getPublic()) + "\n"));
        assertTrue(message.contains("RSA key of 2048 bits, too short") && message.contains("3072"), message);
    }

    @Test
    void dsaIsRefused() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("DSA");
        generator.initialize(1024);
        String line = KeyFiles.publicKeyLine(generator.generateKeyPair().getPublic());
        assertTrue(line.startsWith("ssh-dss "), line);
        assertTrue(refusal(pub("dsa.pub", line)).contains("is a DSA key"));
    }

    @Test
    void twoKeysInOneFileAreRefused() throws Exception {
        String a = KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
        String b = KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
        assertTrue(refusal(pub("two.pub", a + "\n" + b + "\n")).contains("holds 2 lines"));
    }

    @Test
    void unparseableTextIsRefusedWithTheReason() throws Exception {
        assertTrue(refusal(pub("empty.pub", "\n")).contains("holds no public key"));
        assertTrue(refusal(pub("words.pub", "hello world\n")).contains("first word is 'hello'"));
        assertTrue(refusal(pub("bad.pub", "ssh-ed25519 AAAAnotbase64!!\n")).contains("not a readable ssh-ed25519"));
        String rsaLine = KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic());
        String lying = "ssh-rsa " + rsaLine.split(" ")[1];
        assertTrue(refusal(pub("lying.pub", lying)).contains("ssh-rsa"), refusal(pub("lying.pub", lying)));
        assertTrue(refusal(pub("ssh2.pub", "---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n"))
                .contains("ssh-keygen -i"));
        assertTrue(refusal(pub("opts.pub", "from=\"*\" " + rsaLine)).contains("first word is 'from=\"*\"'"));
        assertTrue(refusal(dir.resolve("missing.pub")).contains("no such file"));
        assertTrue(refusal(dir).contains("is a directory"));
    }

    @Test
    void keyNamesFollowTheRule() {
        for (String ok : new String[] {"alice", "bob-laptop", "ci.runner_2", "0", "a".repeat(63)}) {
            assertEquals(ok, PublicKeyFile.requireName(ok));
        }
        for (String bad : new String[] {"", "Alice", "-x", ".x", "a b", "a/b", "a".repeat(64), "é"}) {
            assertThrows(UsageException.class, () -> PublicKeyFile.requireName(bad), bad);
        }
    }
}
