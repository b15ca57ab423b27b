package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.SshEndpoint;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.GetConsoleOutputResponse;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * How real instances are reached: SSH to the public IP (or the private IP or DNS name, {@code cgrender.ec2.address}),
 * console output from {@code GetConsoleOutput(latest=true)}, where cloud-init prints the host key fingerprints.
 */
final class DefaultInstanceAccess implements InstanceAccess {

    static final String NAME = "default";

    /** Which address of an instance to use. */
    enum Address {
        PUBLIC_IP, PRIVATE_IP, DNS;

        static Address parse(String text) {
            try {
                return valueOf(text.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new UsageException("bad configuration: cgrender.ec2.address must be public-ip, private-ip or"
                        + " dns, not '" + text + "'");
            }
        }

        String word() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final Address address;
    private final int port;

    DefaultInstanceAccess(Address address, int port) {
        this.address = address;
        this.port = port;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SshEndpoint endpoint(Ec2Client ec2, Instance instance, String loginUser) {
        String host = switch (address) {
            case PUBLIC_IP -> instance.publicIpAddress();
            case PRIVATE_IP -> instance.privateIpAddress();
            case DNS -> blank(instance.publicDnsName()) ? instance.privateDnsName() : instance.publicDnsName();
        };
        if (blank(host)) {
            throw new CgrenderException("instance " + instance.instanceId() + " has no " + address.word()
                    + " address to SSH to" + (address == Address.PUBLIC_IP
                    ? "; give its subnet public IPs, or set cgrender.ec2.address = private-ip when this machine is in"
                    + " its VPC" : ""));
        }
        return new SshEndpoint(host, port, loginUser);
    }

    @Override
    public String consoleOutput(Ec2Client ec2, String instanceId) {
        GetConsoleOutputResponse response;
        try {
            response = ec2.getConsoleOutput(r -> r.instanceId(instanceId).latest(true));
        } catch (Ec2Exception e) {
            if (!AwsErrors.is(e, "UnsupportedOperation", "InvalidParameterValue", "InvalidParameter")) {
                throw e;
            }
            // Only Nitro instances keep the latest output; the others answer with what they buffered at boot.
            response = ec2.getConsoleOutput(r -> r.instanceId(instanceId));
        }
        String output = response.output();
        if (blank(output)) {
            return "";
        }
        try {
            return new String(Base64.getMimeDecoder().decode(output), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            return output;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
