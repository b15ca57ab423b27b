package io.cgrender.boxes;

import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Console;
import io.cgrender.local.LocalCloudProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The render box on the local cloud, set up with real apt and OpenSCAD. */
class UbuntuOpenScadBoxTest {

    @TempDir
    Path home;

    private final StringWriter err = new StringWriter();
    private Cloud cloud;
    private MinaSshConnector ssh;
    private BoxEnvironment env;

    @BeforeEach
    void environment() {
        Dirs dirs = Dirs.from(Map.of(), home);
        Settings settings = Settings.defaults();
        Namespace ns = Namespace.parse("/boxes-test/", null);
        Console console = new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true), false);
        cloud = new LocalCloudProvider().open(new CloudContext(settings, dirs, ns, console));
        KnownHosts knownHosts = new KnownHosts(dirs.knownHosts());
        ssh = new MinaSshConnector(knownHosts);
        env = new BoxEnvironment(cloud, ns, NamespaceKey.loadOrCreate(dirs.keys(), ns), knownHosts, ssh, settings,
                console);
    }

    @AfterEach
    void cleanUp() {
        cloud.describe(io.cgrender.core.cloud.MachineFilter.of(env.namespace())).forEach(env::terminate);
        ssh.close();
        cloud.close();
    }

    @Test
    void setupInstallsOpenScadAndASecondSetupDoesNoPackageWork() {
        UbuntuOpenScadBox box = new UbuntuOpenScadBox();
        List<Machine> created = box.create(env, CreateOptions.defaults());
        assertEquals(1, created.size());
        assertTrue(err.toString().contains("ready to render with OpenSCAD version"), err.toString());

        RemoteHost host = box.connect(env, created.get(0));
        assertEquals(0, host.exec("command -v openscad && command -v xvfb-run", java.time.Duration.ofMinutes(1)).exitCode());

        // On the local cloud every box is this machine: the second box's setup finds everything installed.
        err.getBuffer().setLength(0);
        box.create(env, CreateOptions.defaults());
        String second = err.toString();
        assertTrue(second.contains("setting up"), second);
        assertTrue(second.contains("packages already installed: openscad xvfb"), second);
        assertFalse(second.contains("installing"), second);
        assertFalse(second.contains("updating package lists"), second);
    }

    @Test
    void theRoleAndItsMachineSpec() {
        UbuntuOpenScadBox box = new UbuntuOpenScadBox();
        assertEquals("openscad-ubuntu-box", box.role());
        assertEquals("ubuntu", box.machineSpec().adminUser());
        assertEquals(Optional.of("c6i.large"), box.machineSpec().recommendedInstanceType());
        assertTrue(box.listPackagesToInstall().containsAll(List.of("openscad", "xvfb")));
        assertEquals(List.of("awscli"), box.listOptionalPackages());
    }

    @Test
    void theFailingPackageIsFoundInAptOutput() {
        assertEquals(Optional.of("nope-pkg"), AptBox.failingPackage(
                "Reading package lists...\nE: Unable to locate package nope-pkg\n"));
        assertEquals(Optional.of("foo"), AptBox.failingPackage(
                "E: Package 'foo' has no installation candidate\n"));
        assertEquals(Optional.of("bar"), AptBox.failingPackage(
                "Errors were encountered while processing:\n bar\nE: Sub-process /usr/bin/dpkg returned an error code (1)"));
        assertEquals(Optional.empty(), AptBox.failingPackage("E: Could not get lock /var/lib/dpkg/lock-frontend"));
    }
}
