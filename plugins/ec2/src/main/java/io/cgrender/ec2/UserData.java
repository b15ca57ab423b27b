package io.cgrender.ec2;

import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.job.JobProcess;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ns.Tags;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The user data of a new box: a script cloud-init runs once on first boot, installing the on-box watchdog
 * ({@code watchdog.sh}, run by systemd on every boot) with the box's idle timeout, expiry and login user baked in, and
 * the boot script ({@code boot.sh}, run before it at every boot: host keys on the console, the watchdog armed from
 * the instance's own user data), and the keys the box authorizes besides its key pair's. EC2 limits user data to
 * 16 KB; this is about 12 without the keys, and {@link FirstBootKeys} adds only the keys that fit.
 */
final class UserData {

    private static final String TEMPLATE = resource("user-data.sh");
    private static final String WATCHDOG = resource("watchdog.sh");
    private static final String BOOT = resource("boot.sh");

    private UserData() {
    }

    /** EC2's limit on user data, in bytes. */
    static final int LIMIT = 16 * 1024;

    /**
     * The script for a box launched from {@code spec}, expiring at {@code expiresAt} (unless the spec says it has no
     * expiry), authorizing its key.
     */
    static String script(LaunchSpec spec, Instant expiresAt) {
        return script(spec, expiresAt, List.of(FirstBootKeys.compact(spec.authorizedKey())));
    }

    /**
     * The script for a box launched from {@code spec}, expiring at {@code expiresAt}, that adds {@code keyLines} to its
     * login user's {@code authorized_keys} ({@link FirstBootKeys}: {@code "type base64"} lines).
     */
    static String script(LaunchSpec spec, Instant expiresAt, List<String> keyLines) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("@AUTHORIZED_KEYS@", String.join("\n", keyLines));
        values.put("@IDLE_SECONDS@", Long.toString(Math.max(1, spec.idleTimeout().toSeconds())));
        // a box with no expiry: the watchdog has no max lifetime to keep to, only the idle timer
        values.put("@EXPIRES_AT_EPOCH@", spec.expires() ? Long.toString(expiresAt.getEpochSecond()) : "");
        values.put("@EXPIRES_AT_ISO@", spec.expires() ? expiresAt.toString() : "never");
        values.put("@ORPHAN_SECONDS@", Long.toString(Math.max(1, spec.orphanTimeout().toSeconds())));
        values.put("@LOGIN_USER@", shellWord(spec.machine().adminUser()));
        values.put("@JOBS_DIR@", RemoteJobs.JOBS_DIR);
        values.put("@AFTER_JOB_FILE@", RemoteJobs.AFTER_JOB_FILE);
        values.put("@WORK_ROOT@", RemoteJobs.WORK_ROOT);
        values.put("@JOB_ALIVE_FUNCTION@", JobProcess.SHELL_FUNCTION);
        values.put("@ROLE@", shellWord(spec.role()));
        values.put("@NAMESPACE@", spec.namespace().toString());
        values.put("@IDLE_SINCE_TAG@", Tags.IDLE_SINCE);
        String watchdog = withoutComments(fill(WATCHDOG, values)).stripTrailing();
        String boot = withoutComments(fill(BOOT, values)).stripTrailing();
        values.put("@WATCHDOG@", watchdog);
        values.put("@BOOT@", boot);
        return fill(TEMPLATE, values);
    }

    /** {@link #script} as RunInstances wants it: base64. */
    static String encoded(LaunchSpec spec, Instant expiresAt) {
        return Base64.getEncoder().encodeToString(script(spec, expiresAt).getBytes(StandardCharsets.UTF_8));
    }

    /** The watchdog as it is installed on a box, for tests that run it. */
    static String watchdog(LaunchSpec spec, Instant expiresAt) {
        return installed(script(spec, expiresAt), "CGRENDER_WATCHDOG");
    }

    /** The boot script as it is installed on a box, for tests that run it. */
    static String boot(LaunchSpec spec, Instant expiresAt) {
        return installed(script(spec, expiresAt), "CGRENDER_BOOT");
    }

    private static String installed(String script, String marker) {
        String open = "<<'" + marker + "'\n";
        int start = script.indexOf(open) + open.length();
        return script.substring(start, script.indexOf("\n" + marker + "\n", start)) + "\n";
    }

    /**
     * The script without its comment lines but the first (its {@code #!} line): EC2 takes 16 KB of user data, and
     * the scripts' documentation lives in their source.
     */
    private static String withoutComments(String script) {
        List<String> lines = script.lines().toList();
        return lines.get(0) + "\n" + lines.stream().skip(1).filter(l -> !l.stripLeading().startsWith("#"))
                .collect(Collectors.joining("\n")) + "\n";
    }

    private static String fill(String template, Map<String, String> values) {
        String text = template;
        for (Map.Entry<String, String> e : values.entrySet()) {
            text = text.replace(e.getKey(), e.getValue());
        }
        return text;
    }

    /** Role and user names are [a-z0-9._-]; anything else would be a bug, not something to quote. */
    static String shellWord(String word) {
        if (!word.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("not a plain name: " + word);
        }
        return word;
    }

    /** A script of this package's resources. */
    static String resource(String name) {
        try (InputStream in = UserData.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
