package io.cgrender.boxes;

import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ui.Console;
import io.cgrender.local.LocalCloudProvider;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A box environment on the local cloud, in directories of its own, for a test of a role's real setup: boxes are this
 * machine, so setup runs the real package manager here, for every new box (images are not used). Every box left is
 * terminated after each test.
 */
final class LocalBoxEnvironment implements BeforeEachCallback, AfterEachCallback {

    /** What the boxes' setup said (status lines, warnings). */
    final StringWriter err = new StringWriter();
    private Path home;
    private Cloud cloud;
    private MinaSshConnector ssh;
    private BoxEnvironment env;

    BoxEnvironment env() {
        return env;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        home = Files.createTempDirectory("cgrender-boxes-test");
        Dirs dirs = Dirs.from(Map.of(), home);
        // These tests are about setup: a new box is always set up, never launched from an image of an earlier one.
        Settings settings = Settings.load(dirs, Optional.empty(), Map.of(), Map.of("cgrender.images.use", false));
        Namespace ns = Namespace.parse("/boxes-test/", null);
        Console console = new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true), false);
        cloud = new LocalCloudProvider().open(new CloudContext(settings, dirs, ns, console));
        KnownHosts knownHosts = new KnownHosts(dirs.knownHosts());
        ssh = new MinaSshConnector(knownHosts);
        env = new BoxEnvironment(cloud, ns, NamespaceKey.loadOrCreate(dirs.keys(), ns), knownHosts, ssh, settings,
                console);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            cloud.describe(MachineFilter.of(env.namespace())).forEach(env::terminate);
        } finally {
            ssh.close();
            cloud.close();
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
