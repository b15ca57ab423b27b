package io.cgrender.local;

import io.cgrender.core.claim.Lease;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.CloudProviders;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Launches one local box and exits at once, as a short-lived {@code cgrender create} would: the test checks that the
 * box outlives this JVM. Finds the provider the way the CLI does, through {@code META-INF/services}.
 * <p>
 * Arguments: the base of the XDG directories, then the public key line to authorize. Prints the box id.
 */
public final class LaunchInAnotherJvm {

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        Dirs dirs = new Dirs(base.resolve("config"), base.resolve("data"), base.resolve("state"));
        Namespace namespace = Namespace.parse("/local-test/", null);
        try (Cloud cloud = CloudProviders.discover(LaunchInAnotherJvm.class.getClassLoader()).get("local")
                .open(new CloudContext(Settings.defaults(), dirs, namespace, Console.silent()))) {
            Machine machine = cloud.launch(new LaunchSpec(namespace, "elsewhere", MachineSpec.ubuntu(1, 1, 8, "t3.micro"),
                    Tags.forNewBox(namespace, "elsewhere", "ubuntu", 0, Instant.now().plusSeconds(3600),
                            Duration.ofMinutes(10),
                            Lease.ofSelf(Instant.now(), Duration.ofHours(1)).tagValue()),
                    Files.readString(Path.of(args[1])), Duration.ofMinutes(10), Duration.ofHours(1),
                    Optional.empty(), Optional.empty(), false));
            System.out.println(machine.id());
        }
    }
}
