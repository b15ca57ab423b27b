package io.cgrender.core.ssh;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The host field of a known_hosts line as OpenSSH matches it: comma-separated patterns with {@code *} and {@code ?},
 * a pattern starting with {@code !} excluding what it matches, and hashed names ({@code |1|salt|hash}, HMAC-SHA1 of
 * the name). Names are compared case-insensitively.
 */
final class HostPatterns {

    private static final String HASHED = "|1|";

    private HostPatterns() {
    }

    /** Whether {@code field} names {@code host}: some pattern matches it and no negated one does. */
    static boolean match(String field, String host) {
        String name = host.toLowerCase(Locale.ROOT);
        boolean matched = false;
        for (String pattern : field.split(",")) {
            boolean negated = pattern.startsWith("!");
            String p = negated ? pattern.substring(1) : pattern;
            if (p.startsWith(HASHED) ? hashedMatch(p, name) : globMatch(p.toLowerCase(Locale.ROOT), name)) {
                if (negated) {
                    return false;
                }
                matched = true;
            }
        }
        return matched;
    }

    /**
     * Whether {@code field} names {@code host} itself: some pattern is {@code host} (plain, or hashed as OpenSSH's
     * {@code HashKnownHosts} writes it) and no negated pattern matches it. Wildcards name no one host, so a line that
     * only matches through {@code *} or {@code ?} does not count.
     */
    static boolean namesExactly(String field, String host) {
        String name = host.toLowerCase(Locale.ROOT);
        boolean named = false;
        for (String pattern : field.split(",")) {
            if (pattern.startsWith("!")) {
                String p = pattern.substring(1);
                if (p.startsWith(HASHED) ? hashedMatch(p, name) : globMatch(p.toLowerCase(Locale.ROOT), name)) {
                    return false;
                }
            } else if (pattern.startsWith(HASHED) ? hashedMatch(pattern, name)
                    : pattern.toLowerCase(Locale.ROOT).equals(name)) {
                named = true;
            }
        }
        return named;
    }

    private static boolean globMatch(String glob, String name) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return name.matches(regex.toString());
    }

    private static boolean hashedMatch(String hashed, String name) {
        String[] parts = hashed.substring(HASHED.length()).split("\\|");
        if (parts.length != 2) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(parts[0]), "HmacSHA1"));
            byte[] expected = Base64.getDecoder().decode(parts[1]);
            return MessageDigest.isEqual(expected, mac.doFinal(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return false; // not base64, or an empty salt: names nothing, as in OpenSSH
        }
    }
}
