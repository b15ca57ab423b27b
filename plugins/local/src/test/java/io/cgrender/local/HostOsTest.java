package io.cgrender.local;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.doctor.CheckResult;
import io.cgrender.core.doctor.CheckTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which roles a local box can be, from this machine's {@code /etc/os-release}. */
class HostOsTest {

    @TempDir
    Path dir;

    private HostOs os(String text) throws IOException {
        return HostOs.read(Files.writeString(dir.resolve("os-release"), text));
    }

    private static final MachineSpec DEBIAN = MachineSpec.of(MachineSpec.Os.DEBIAN, 1, 1, 8, "t3.micro");
    private static final MachineSpec UBUNTU = MachineSpec.of(MachineSpec.Os.UBUNTU_LTS, 1, 1, 8, "t3.micro");
    private static final MachineSpec AMAZON = MachineSpec.of(MachineSpec.Os.AMAZON_LINUX, 1, 1, 8, "t3.micro");

    @Test
    void debianAndItsDerivativesRunAptRolesOnly() throws IOException {
        HostOs debian = os("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n");
        assertEquals(Optional.of(MachineSpec.PackageManager.APT), debian.packageManager());
        assertDoesNotThrow(() -> debian.requireRunnable("debian-box", DEBIAN));
        assertDoesNotThrow(() -> debian.requireRunnable("ubuntu-box", UBUNTU));
        CgrenderException refused = assertThrows(UsageException.class,
                () -> debian.requireRunnable("amazon-linux-box", AMAZON));
        assertEquals("amazon-linux-box is written for Amazon Linux 2023 (dnf), but a local box is this machine, which"
                + " runs Debian GNU/Linux 12 (bookworm) (apt)", refused.getMessage());
        assertTrue(refused.hint().orElseThrow().startsWith("fix: run it on a cloud of its own"));

        HostOs mint = os("NAME='Linux Mint'\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n");
        assertEquals(Optional.of(MachineSpec.PackageManager.APT), mint.packageManager());
        assertEquals("Linux Mint", mint.name());
    }

    @Test
    void amazonLinuxAndFedoraRunDnfRolesOnly() throws IOException {
        HostOs al2023 = os("NAME=\"Amazon Linux\"\nPRETTY_NAME=\"Amazon Linux 2023.6.20241212\"\nID=\"amzn\"\n"
                + "ID_LIKE=\"fedora\"\n");
        assertEquals(Optional.of(MachineSpec.PackageManager.DNF), al2023.packageManager());
        assertDoesNotThrow(() -> al2023.requireRunnable("amazon-linux-box", AMAZON));
        assertThrows(UsageException.class, () -> al2023.requireRunnable("ubuntu-box", UBUNTU));
        assertEquals(Optional.of(MachineSpec.PackageManager.DNF), os("ID=fedora\n").packageManager());
    }

    @Test
    void aSystemWithNeitherIsNamedAndRefusesEveryRole() throws IOException {
        HostOs arch = os("PRETTY_NAME=\"Arch Linux\"\nID=arch\n");
        assertEquals(Optional.empty(), arch.packageManager());
        CgrenderException refused = assertThrows(UsageException.class,
                () -> arch.requireRunnable("ubuntu-box", UBUNTU));
        assertTrue(refused.getMessage().endsWith("which runs Arch Linux, which has neither apt nor dnf"),
                refused.getMessage());
        HostOs none = HostOs.read(dir.resolve("missing"));
        assertTrue(none.name().startsWith("an unknown system"), none.name());
    }

    @Test
    void doctorNamesTheSystemAndFailsARenderRoleOfAnotherPackageManager() throws IOException {
        HostOs debian = os("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n");
        CheckResult ok = new LocalChecks(java.util.Map.of(), Optional.of(new CheckTarget("openscad-ubuntu-box", UBUNTU)))
                .operatingSystem(debian);
        assertEquals(CheckResult.Status.OK, ok.status(), ok.toString());
        assertEquals("Debian GNU/Linux 12 (bookworm) (apt): a local box can be a role of apt (see cgrender list-roles)",
                ok.detail());

        CheckResult wrongRole = new LocalChecks(java.util.Map.of(), Optional.of(new CheckTarget("amazon-linux-box",
                AMAZON))).operatingSystem(debian);
        assertEquals(CheckResult.Status.FAIL, wrongRole.status(), wrongRole.toString());
        assertTrue(wrongRole.detail().startsWith("the render role (cgrender.render.role) amazon-linux-box is written"
                + " for Amazon Linux 2023 (dnf)"), wrongRole.detail());

        CheckResult arch = new LocalChecks(java.util.Map.of(), Optional.empty()).operatingSystem(os("ID=arch\n"));
        assertEquals(CheckResult.Status.FAIL, arch.status(), arch.toString());
    }

    @Test
    void thisMachineIsKnown() {
        // The local cloud's own tests run on Debian or Ubuntu, which the README's quick start asks for.
        assertEquals(Optional.of(MachineSpec.PackageManager.APT), HostOs.current().packageManager(),
                HostOs.current().toString());
    }
}
