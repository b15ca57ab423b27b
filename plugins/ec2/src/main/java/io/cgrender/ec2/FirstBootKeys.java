package io.cgrender.ec2;

import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.keys.RegisteredKey;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The keys a new box authorizes from its first boot besides its key pair's, written into its user data: the launching
 * client's namespace key, then the registered keys {@code cgrender.keys} selects, each once, as {@code "type base64"}
 * lines. EC2 takes at most 16 KB of user data ({@link UserData#LIMIT}): a key that would not fit is left out, named in
 * {@link #leftOut()}, and reaches the box when its agent syncs the namespace's keys.
 *
 * @param userData   the box's user data, within the limit
 * @param authorized the names of the registered keys it authorizes
 * @param leftOut    the names of the selected registered keys that did not fit
 */
record FirstBootKeys(String userData, List<String> authorized, List<String> leftOut) {

    private static final Pattern TYPE = Pattern.compile("[a-z0-9@.-]+");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]+={0,2}");

    /** The user data of a box launched from {@code spec} with the namespace's key and as many of {@code selected}. */
    static FirstBootKeys of(LaunchSpec spec, Instant expiresAt, List<RegisteredKey> selected) {
        List<String> lines = new ArrayList<>(List.of(compact(spec.authorizedKey())));
        int size = bytes(UserData.script(spec, expiresAt, lines));
        List<String> authorized = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        for (RegisteredKey key : selected) {
            String line = compact(key.publicKeyLine());
            if (lines.contains(line)) {
                authorized.add(key.name());
                continue;
            }
            int cost = bytes(line) + 1;
            if (size + cost > UserData.LIMIT) {
                leftOut.add(key.name());
                continue;
            }
            lines.add(line);
            size += cost;
            authorized.add(key.name());
        }
        String userData = UserData.script(spec, expiresAt, lines);
        if (bytes(userData) > UserData.LIMIT) {
            throw new IllegalStateException("the user data takes " + bytes(userData) + " bytes, more than EC2's "
                    + UserData.LIMIT);
        }
        return new FirstBootKeys(userData, List.copyOf(authorized), List.copyOf(leftOut));
    }

    /** {@code "type base64"} of an OpenSSH public key line, without options or comment. */
    static String compact(String publicKeyLine) {
        String[] fields = publicKeyLine.strip().split("\\s+");
        if (fields.length < 2 || !TYPE.matcher(fields[0]).matches() || !BASE64.matcher(fields[1]).matches()) {
            throw new IllegalArgumentException("not an OpenSSH public key line: " + publicKeyLine);
        }
        return fields[0] + " " + fields[1];
    }

    static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
