package io.cgrender.cli;

import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.MotoServer;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A user of {@code cgrender --cloud ec2} against a fresh moto, whose instances are reached through sshd stand-ins:
 * the {@link Cli} with the test kit's environment and configuration, and an EC2 client to look at what moto holds.
 * {@link #close()} requires that every instance was terminated.
 */
final class Ec2Cli implements AutoCloseable {

    final MotoServer moto;
    final Cli cli;
    final Ec2Client ec2;

    /** Skips (through the test kit's assumptions) when moto or root is missing. */
    Ec2Cli() throws IOException {
        moto = Ec2TestKit.freshMoto();
        cli = new Cli();
        Ec2TestKit.environment(cli.root().resolve("home")).forEach((k, v) -> {
            if (!k.equals("HOME") && !k.equals("PATH")) {
                cli.env().put(k, v);
            }
        });
        ec2 = Ec2TestKit.client(moto);
    }

    /** Writes the user's cgrender.conf: the test kit's EC2 settings, then {@code extra}. */
    void configure(String extra) throws IOException {
        writeConfig(Ec2TestKit.hocon(moto) + extra);
    }

    /** Writes the user's cgrender.conf exactly as given. */
    void writeConfig(String hocon) throws IOException {
        Files.createDirectories(cli.configDir());
        Files.writeString(cli.configDir().resolve("cgrender.conf"), hocon);
    }

    List<Instance> allInstances() {
        return ec2.describeInstancesPaginator(r -> { }).reservations().stream()
                .flatMap(r -> r.instances().stream()).toList();
    }

    List<Instance> live() {
        return allInstances().stream().filter(i -> !i.state().nameAsString().equals("terminated")).toList();
    }

    Instance instance(String id) {
        return ec2.describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances().get(0);
    }

    @Override
    public void close() throws IOException {
        try {
            cli.close();
            assertEquals(List.of(), live(), "every instance is terminated");
        } finally {
            Standins.closeAll();
            ec2.close();
        }
    }
}
