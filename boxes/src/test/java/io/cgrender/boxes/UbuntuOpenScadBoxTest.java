package io.cgrender.boxes;

import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ssh.RemoteHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The render box on the local cloud, set up with real apt and OpenSCAD. */
class UbuntuOpenScadBoxTest {

    @RegisterExtension
    final LocalBoxEnvironment boxes = new LocalBoxEnvironment();

    @Test
    void setupInstallsOpenScadAndASecondSetupDoesNoPackageWork() {
        UbuntuOpenScadBox box = new UbuntuOpenScadBox();
        List<Machine> created = box.create(boxes.env(), CreateOptions.defaults());
        assertEquals(1, created.size());
        assertTrue(boxes.err.toString().contains("ready to render with OpenSCAD version"), boxes.err.toString());

        RemoteHost host = box.connect(boxes.env(), created.get(0));
        assertEquals(0, host.exec("command -v openscad && command -v xvfb-run", Duration.ofMinutes(1)).exitCode());

        // On the local cloud every box is this machine: the second box's setup finds everything installed.
        boxes.err.getBuffer().setLength(0);
        box.create(boxes.env(), CreateOptions.defaults());
        String second = boxes.err.toString();
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
