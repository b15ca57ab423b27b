package io.cgrender.ec2;

import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.KeyFiles;
import org.junit.jupiter.api.Test;

import java.security.PublicKey;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The host keys cloud-init prints on the console, as the formats real instances show them. */
class ConsoleHostKeysTest {

    private static final String ED25519 = "SHA256:zUc1jdIQaFn6TeG8fHlUzqRZ6U3OBGkZm3LdGNqFxbw";
    private static final String ECDSA = "SHA256:0iy0Lj7mVfgyBNxCdc7mBi4h1ZbC6pRgxHvGI7Ll1BM";

    @Test
    void readsTheFingerprintBlockBehindTheEc2Prefix() {
        String console = String.join("\r\n",
                "[   20.123456] cloud-init[1011]: Cloud-init v. 23.1 running 'modules:final'",
                "ec2: ",
                "ec2: #############################################################",
                "ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----",
                "ec2: 256 " + ECDSA + " root@ip-172-31-3-4 (ECDSA)",
                "ec2: 256 " + ED25519 + " root@ip-172-31-3-4 (ED25519)",
                "ec2: 1024 2a:0b:1c:44:6f:5e:9a:73:3b:1f:19:0c:4d:3e:2f:11 root@ip-172-31-3-4 (DSA)",
                "ec2: -----END SSH HOST KEY FINGERPRINTS-----",
                "ec2: #############################################################",
                "");
        assertEquals(Set.of(HostKeyFingerprint.parse(ECDSA), HostKeyFingerprint.parse(ED25519)),
                ConsoleHostKeys.parse(console), "SHA256 fingerprints only; the MD5 one is ignored");
    }

    @Test
    void readsTheSyslogFormAndTheKeyBlock() {
        PublicKey key = KeyFiles.generateEd25519().getPublic();
        String line = KeyFiles.publicKeyLine(key);
        String console = String.join("\n",
                "<14>Nov 25 10:00:01 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----",
                "<14>Nov 25 10:00:01 cloud-init: 256 " + ED25519 + " root@ip-10-0-0-1 (ED25519)",
                "<14>Nov 25 10:00:01 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----",
                "-----BEGIN SSH HOST KEY KEYS-----",
                line + " root@ip-10-0-0-1",
                "-----END SSH HOST KEY KEYS-----");
        assertEquals(Set.of(HostKeyFingerprint.parse(ED25519), KeyFiles.fingerprint(key)),
                ConsoleHostKeys.parse(console));
    }

    @Test
    void aBlockCutOffOrNoneAtAllYieldsNothing() {
        assertEquals(Set.of(), ConsoleHostKeys.parse(""));
        assertEquals(Set.of(), ConsoleHostKeys.parse(null));
        assertEquals(Set.of(), ConsoleHostKeys.parse("Linux version 6.8.0-1018-aws\nLogin: "));
        assertEquals(Set.of(), ConsoleHostKeys.parse("ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----\n"
                + "ec2: 256 " + ED25519 + " root@ip-10-0-0-1 (ED25519)\n"), "still being written");
    }

    @Test
    void fingerprintsOutsideABlockDoNotCount() {
        String console = "256 " + ED25519 + " root@attacker (ED25519)\n"
                + "ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----\n"
                + "ec2: 256 " + ECDSA + " root@ip-10-0-0-1 (ECDSA)\n"
                + "ec2: -----END SSH HOST KEY FINGERPRINTS-----\n";
        assertEquals(Set.of(HostKeyFingerprint.parse(ECDSA)), ConsoleHostKeys.parse(console));
    }
}
