package io.cgrender.ec2;

import io.cgrender.core.ssh.HostKeyFingerprint;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the SSH host keys an instance printed on its console. cloud-init prints them on first boot in two blocks,
 * often behind a prefix ({@code ec2: }, or a kernel timestamp and {@code cloud-init[123]: }):
 * <pre>
 * ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----
 * ec2: 256 SHA256:0iy0Lj7mVfgyBNxCdc7mBi4h1ZbC6pRgxHvGI7Ll1BM root@ip-10-0-0-1 (ECDSA)
 * ec2: 256 SHA256:zUc1jdIQaFn6TeG8fHlUzqRZ6U3OBGkZm3LdGNqFxbw root@ip-10-0-0-1 (ED25519)
 * ec2: -----END SSH HOST KEY FINGERPRINTS-----
 * -----BEGIN SSH HOST KEY KEYS-----
 * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… root@ip-10-0-0-1
 * -----END SSH HOST KEY KEYS-----
 * </pre>
 * Only lines between a BEGIN and its END count; SHA256 fingerprints are taken as they are and key lines are
 * fingerprinted. Old MD5 fingerprints ({@code aa:bb:…}) are ignored: they cannot be matched safely. A block that is
 * cut off (the console is still being written) yields nothing, so the caller waits for the rest.
 */
final class ConsoleHostKeys {

    static final String FINGERPRINTS = "SSH HOST KEY FINGERPRINTS";
    static final String KEYS = "SSH HOST KEY KEYS";

    private static final Pattern BEGIN = Pattern.compile("-----BEGIN (" + FINGERPRINTS + "|" + KEYS + ")-----");
    private static final Pattern FINGERPRINT = Pattern.compile(
            "(?:^|\\s)\\d+\\s+(SHA256:[A-Za-z0-9+/]{43})=?(?:\\s|$)");
    private static final Pattern KEY_LINE = Pattern.compile(
            "(?:^|\\s)((?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|ssh-dss)\\s+[A-Za-z0-9+/]+={0,2})"
                    + "(?:\\s|$)");

    private ConsoleHostKeys() {
    }

    /** The fingerprints of every complete block in {@code console}; empty if there is none (yet). */
    static Set<HostKeyFingerprint> parse(String console) {
        Set<HostKeyFingerprint> found = new LinkedHashSet<>();
        if (console == null || console.isEmpty()) {
            return found;
        }
        String[] lines = console.replace("\r", "").split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher begin = BEGIN.matcher(lines[i]);
            if (!begin.find()) {
                continue;
            }
            String block = begin.group(1);
            String end = "-----END " + block + "-----";
            Set<HostKeyFingerprint> inBlock = new LinkedHashSet<>();
            int j = i + 1;
            for (; j < lines.length && !lines[j].contains(end); j++) {
                if (block.equals(FINGERPRINTS)) {
                    Matcher m = FINGERPRINT.matcher(lines[j]);
                    if (m.find()) {
                        inBlock.add(HostKeyFingerprint.parse(m.group(1)));
                    }
                } else {
                    Matcher m = KEY_LINE.matcher(lines[j]);
                    if (m.find()) {
                        try {
                            inBlock.add(HostKeyFingerprint.ofPublicKeyLine(m.group(1)));
                        } catch (IllegalArgumentException notBase64) {
                            // a garbled line: it vouches for nothing
                        }
                    }
                }
            }
            if (j < lines.length) {
                found.addAll(inBlock);
            }
            i = j;
        }
        return found;
    }
}
