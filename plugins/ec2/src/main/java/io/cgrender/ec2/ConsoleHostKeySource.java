package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.HostKeySource;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ssh.HostKeyFingerprint;
import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;
import software.amazon.awssdk.core.exception.SdkException;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The host keys EC2's console vouches for: the fingerprints printed on the instance's console (by cloud-init on its
 * first boot, by the box's boot script at every boot), polled until they appear (while EC2 does not know a new
 * instance yet, or throttles the polls, too). Never "whatever the server presents": with none within the timeout, it
 * fails and says how to pin a key. Keys the user pinned or has in known_hosts come first ({@link Ec2HostKeySource}).
 */
final class ConsoleHostKeySource implements HostKeySource {

    private final AwsClients aws;
    private final InstanceAccess access;
    private final Ec2Settings settings;

    ConsoleHostKeySource(AwsClients aws, InstanceAccess access, Ec2Settings settings) {
        this.aws = aws;
        this.access = access;
        this.settings = settings;
    }

    @Override
    public Set<HostKeyFingerprint> trustedFingerprints(Machine machine, Duration timeout, Progress progress) {
        String id = machine.id();
        return await(machine, timeout, progress).orElseThrow(() -> new CgrenderException("no SSH host key of " + id
                + " is known: its console showed no '-----BEGIN " + ConsoleHostKeys.FINGERPRINTS + "-----' block"
                + " within " + timeout.toSeconds() + "s, so there is nothing to check the key it presents against, and"
                + " cgrender never trusts a key just because a server presents it. If the instance was not set up by"
                + " cloud-init or its console was overwritten, pin its key: get the fingerprint out of band (on the"
                + " instance: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and add cgrender.ec2.host-keys { \""
                + id + "\" = \"SHA256:…\" } to $XDG_CONFIG_HOME/cgrender/cgrender.conf"));
    }

    /** The fingerprints on the console of {@code machine}, waiting for them up to {@code timeout}; empty if none. */
    Optional<Set<HostKeyFingerprint>> await(Machine machine, Duration timeout, Progress progress) {
        String id = machine.id();
        String stage = "waiting for the SSH host key fingerprints of " + id + " on its console (cloud-init prints"
                + " them on the first boot, the box's boot script at every boot)";
        try {
            return Optional.of(AwsWait.until(stage, timeout, settings.pollInterval(), progress, () -> {
                String console;
                try {
                    console = access.consoleOutput(aws.ec2(), id);
                } catch (SdkException e) {
                    if (AwsErrors.is(e, "InvalidInstanceID.NotFound")) {
                        return Wait.Poll.notYet("EC2 does not know " + id + " yet");
                    }
                    throw aws.explain("reading the console output of " + id, e);
                }
                Set<HostKeyFingerprint> found = ConsoleHostKeys.parse(console);
                if (!found.isEmpty()) {
                    return Wait.Poll.ready(found);
                }
                return Wait.Poll.notYet(console.isBlank() ? "no console output yet"
                        : "no " + ConsoleHostKeys.FINGERPRINTS + " block yet");
            }));
        } catch (CgrenderException e) {
            if (Thread.currentThread().isInterrupted() || !e.getMessage().startsWith("timed out")) {
                throw e;
            }
            return Optional.empty();
        }
    }
}
