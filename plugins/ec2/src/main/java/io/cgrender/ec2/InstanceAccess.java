package io.cgrender.ec2;

import io.cgrender.core.cloud.SshEndpoint;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * How an instance is reached and where its console output comes from: the seam between the EC2 provider and the
 * network. The default ({@link DefaultInstanceAccess}) reaches the public IP (or the private IP / DNS name, by
 * configuration) and reads the console with {@code GetConsoleOutput(latest=true)}; a test kit maps moto's instances
 * to SSH stand-ins on loopback. Everything else — tags, waits, user data, key pairs, security groups, images and
 * host-key verification — is the same code either way.
 * <p>
 * {@code cgrender.ec2.access = default} selects the default; any other name selects an implementation found with
 * plugin services ({@code META-INF/services}, built-in or from plugin jars) by {@link #name()}.
 */
public interface InstanceAccess {

    /** The name {@code cgrender.ec2.access} selects this by. */
    String name();

    /**
     * Where to open SSH to a running {@code instance}, logging in as {@code loginUser}. {@code ec2} is the cloud's
     * client, for implementations that need to look further than {@code instance}.
     */
    SshEndpoint endpoint(Ec2Client ec2, Instance instance, String loginUser);

    /** The instance's console output as text (cloud-init prints the host key fingerprints there), or empty. */
    String consoleOutput(Ec2Client ec2, String instanceId);
}
