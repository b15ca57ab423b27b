package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How real instances are reached, against moto itself rather than the stand-ins: its instances have public and private
 * addresses and DNS names, its console output is base64 as EC2's is, and an instance in a subnet without public
 * addresses has none to SSH to.
 */
class DefaultInstanceAccessTest {

    private static final String XENIAL = "ami-785db401";

    private MotoServer moto;
    private AwsProxy proxy;
    private Ec2Client ec2;

    @BeforeEach
    void start() {
        moto = MotoServer.shared();
        moto.reset();
        proxy = AwsProxy.to(moto.endpoint());
        ec2 = Ec2TestKit.client(proxy.endpoint());
    }

    @AfterEach
    void stop() {
        ec2.close();
        proxy.close();
    }

    private Instance launch(String subnetId) {
        String id = ec2.runInstances(r -> {
            r.imageId(XENIAL).instanceType("t3.micro").minCount(1).maxCount(1);
            if (subnetId != null) {
                r.subnetId(subnetId);
            }
        }).instances().get(0).instanceId();
        return ec2.describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances().get(0);
    }

    @Test
    void reachesThePublicAddressThePrivateOneOrTheDnsNameAsConfigured() {
        Instance instance = launch(null);
        assertFalse(instance.publicIpAddress() == null || instance.publicIpAddress().isBlank(), "moto gave a public IP");

        SshEndpoint pub = new DefaultInstanceAccess(DefaultInstanceAccess.Address.PUBLIC_IP, 22)
                .endpoint(ec2, instance, "ubuntu");
        SshEndpoint priv = new DefaultInstanceAccess(DefaultInstanceAccess.Address.PRIVATE_IP, 2222)
                .endpoint(ec2, instance, "admin");
        SshEndpoint dns = new DefaultInstanceAccess(DefaultInstanceAccess.Address.parse(" DNS "), 22)
                .endpoint(ec2, instance, "ubuntu");

        assertEquals(new SshEndpoint(instance.publicIpAddress(), 22, "ubuntu"), pub);
        assertEquals(new SshEndpoint(instance.privateIpAddress(), 2222, "admin"), priv);
        assertEquals(instance.publicDnsName().isBlank() ? instance.privateDnsName() : instance.publicDnsName(),
                dns.host());
        assertFalse(pub.host().equals(priv.host()), "public and private addresses differ: " + pub + " " + priv);
    }

    @Test
    void anInstanceWithoutAPublicAddressSaysHowToReachIt() {
        String vpc = ec2.createVpc(r -> r.cidrBlock("10.7.0.0/16")).vpc().vpcId();
        String subnet = ec2.createSubnet(r -> r.vpcId(vpc).cidrBlock("10.7.1.0/24")).subnet().subnetId();
        Instance instance = launch(subnet);
        assertTrue(instance.publicIpAddress() == null, "a subnet without MapPublicIpOnLaunch gives no public IP");

        CgrenderException e = assertThrows(CgrenderException.class, () -> new DefaultInstanceAccess(
                DefaultInstanceAccess.Address.PUBLIC_IP, 22).endpoint(ec2, instance, "ubuntu"));
        assertEquals("instance " + instance.instanceId() + " has no public-ip address to SSH to; give its subnet"
                + " public IPs, or set cgrender.ec2.address = private-ip when this machine is in its VPC",
                e.getMessage());
        assertEquals(instance.privateIpAddress(), new DefaultInstanceAccess(DefaultInstanceAccess.Address.PRIVATE_IP,
                22).endpoint(ec2, instance, "ubuntu").host());
    }

    @Test
    void aBadAddressSettingIsAOneLineUsageError() {
        Exception e = assertThrows(io.cgrender.core.UsageException.class,
                () -> DefaultInstanceAccess.Address.parse("elastic"));
        assertEquals("bad configuration: cgrender.ec2.address must be public-ip, private-ip or dns, not 'elastic'",
                e.getMessage());
    }

    @Test
    void decodesTheBase64ConsoleOutputOfTheLatestBoot() {
        Instance instance = launch(null);
        String raw = ec2.getConsoleOutput(r -> r.instanceId(instance.instanceId())).output();
        String expected = new String(Base64.getMimeDecoder().decode(raw), StandardCharsets.UTF_8);

        String console = new DefaultInstanceAccess(DefaultInstanceAccess.Address.PUBLIC_IP, 22)
                .consoleOutput(ec2, instance.instanceId());

        assertFalse(expected.isBlank(), "moto's canned console output decodes to text");
        assertEquals(expected, console);
        assertFalse(console.equals(raw), "the output was decoded, not passed on as base64");
    }

    @Test
    void asksForTheBufferedOutputWhereTheLatestIsNotOffered() {
        Instance instance = launch(null);
        proxy.faults().failNext("GetConsoleOutput", 1, 400, "UnsupportedOperation", "This instance type does not"
                + " support retrieving the latest console output.");

        String console = new DefaultInstanceAccess(DefaultInstanceAccess.Address.PUBLIC_IP, 22)
                .consoleOutput(ec2, instance.instanceId());

        assertFalse(console.isBlank());
        List<AwsProxy.Call> calls = proxy.calls("GetConsoleOutput");
        assertEquals(2, calls.size(), calls.toString());
        assertEquals("UnsupportedOperation", calls.get(0).fault());
        assertEquals(200, calls.get(1).status());
    }

    @Test
    void anEmptyConsoleIsEmptyAndOtherErrorsAreNotHidden() {
        proxy.faults().emptyConsoleFor(java.time.Duration.ofMinutes(1));
        Instance instance = launch(null);
        DefaultInstanceAccess access = new DefaultInstanceAccess(DefaultInstanceAccess.Address.PUBLIC_IP, 22);

        assertEquals("", access.consoleOutput(ec2, instance.instanceId()), "no output yet reads as none");

        proxy.faults().failNext("GetConsoleOutput", 1, 403, "UnauthorizedOperation", "You are not authorized to"
                + " perform this operation.");
        Ec2Exception e = assertThrows(Ec2Exception.class, () -> access.consoleOutput(ec2, instance.instanceId()));
        assertEquals("UnauthorizedOperation", e.awsErrorDetails().errorCode());
    }
}
