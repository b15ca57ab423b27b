package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.HostKeySource;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Progress;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the first host key of an EC2 instance comes from, in this order: a key the user pinned in
 * {@code cgrender.ec2.host-keys}, the user's {@code ~/.ssh/known_hosts} under the instance id (as
 * {@code ssh -o HostKeyAlias=ID} writes it, plain or hashed), the instance's console ({@link ConsoleHostKeySource}).
 * <p>
 * The first witness that knows the instance decides alone: a later one is not asked, so a server whose key that
 * witness does not list is refused even if the console would list it — a stale or wrong pin is corrected by the
 * user, never passed over silently. Whichever witness answered is said. An instance cgrender adopted that no witness
 * knows is refused as bad input (exit 2), with how to supply its key.
 */
final class Ec2HostKeySource implements HostKeySource {

    private final Ec2Settings settings;
    private final KnownHosts userKnownHosts;
    private final String userKnownHostsName;
    private final ConsoleHostKeySource consoleSource;
    private final Console console;

    /** @param env the invocation's environment: {@code HOME}'s {@code .ssh/known_hosts} is read (never written) */
    Ec2HostKeySource(Ec2Settings settings, Map<String, String> env, ConsoleHostKeySource consoleSource,
                     Console console) {
        String home = env.get("HOME");
        this.settings = settings;
        this.userKnownHosts = new KnownHosts(Path.of(home == null || home.isBlank() ? System.getProperty("user.home")
                : home, ".ssh", "known_hosts"));
        this.userKnownHostsName = "~/.ssh/known_hosts";
        this.consoleSource = consoleSource;
        this.console = console;
    }

    @Override
    public Set<HostKeyFingerprint> trustedFingerprints(Machine machine, Duration timeout, Progress progress) {
        String id = machine.id();
        Optional<Set<HostKeyFingerprint>> configured = configured(id);
        if (configured.isPresent()) {
            console.status("host key of " + id + " from " + configKey(id) + ": " + list(configured.get()));
            return configured.get();
        }
        List<String> known = userKnownHosts.keysNamedExactly(id);
        if (!known.isEmpty()) {
            Set<HostKeyFingerprint> fingerprints = new LinkedHashSet<>();
            known.forEach(k -> fingerprints.add(HostKeyFingerprint.ofPublicKeyLine(k)));
            console.status("host key of " + id + " from " + knownHostsWitness(id) + ": " + list(fingerprints));
            return fingerprints;
        }
        if (!adopted(machine)) {
            return consoleSource.trustedFingerprints(machine, timeout, progress);
        }
        Set<HostKeyFingerprint> shown = consoleSource.await(machine, timeout, progress).orElseThrow(() ->
                new UsageException("no SSH host key of " + id + " is known, so cgrender does not connect to it:"
                        + " " + configKey(id) + " is not set, " + userKnownHostsName + " has no entry for "
                        + id + " (HostKeyAlias), and its console showed no host key fingerprints within "
                        + timeout.toSeconds() + "s (cloud-init prints them on an instance's first boot only)."
                        + " cgrender never trusts a key just because a server presents it.")
                        .fix("pin its key in $XDG_CONFIG_HOME/cgrender/cgrender.conf: cgrender.ec2.host-keys { \""
                                + id + "\" = \"SHA256:…\" }, with the fingerprint from its console or from"
                                + " ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub run on it"));
        console.status("host key of " + id + " from its console output: " + list(shown));
        return shown;
    }

    @Override
    public String witness(Machine machine) {
        String id = machine.id();
        if (settings.hostKeys().containsKey(id)) {
            return configKey(id);
        }
        if (!userKnownHosts.keysNamedExactly(id).isEmpty()) {
            return knownHostsWitness(id);
        }
        return "the cloud"; // its console output
    }

    private Optional<Set<HostKeyFingerprint>> configured(String id) {
        List<String> pinned = settings.hostKeys().get(id);
        if (pinned == null) {
            return Optional.empty();
        }
        Set<HostKeyFingerprint> fingerprints = new LinkedHashSet<>();
        for (String entry : pinned) {
            String text = entry.strip();
            try {
                fingerprints.add(text.startsWith("SHA256:") ? HostKeyFingerprint.parse(text)
                        : HostKeyFingerprint.ofPublicKeyLine(text));
            } catch (IllegalArgumentException e) {
                throw new UsageException("bad configuration: " + configKey(id) + " holds '" + text + "', which is"
                        + " neither an OpenSSH public key line nor a SHA256:… fingerprint");
            }
        }
        return Optional.of(fingerprints);
    }

    private String knownHostsWitness(String id) {
        return userKnownHostsName + " (HostKeyAlias=" + id + ")";
    }

    private static String configKey(String id) {
        return "cgrender.ec2.host-keys.\"" + id + "\"";
    }

    private static boolean adopted(Machine machine) {
        return "true".equals(machine.tags().get(Tags.ADOPTED));
    }

    private static String list(Set<HostKeyFingerprint> fingerprints) {
        return fingerprints.stream().map(HostKeyFingerprint::toString).collect(Collectors.joining(", "));
    }
}
