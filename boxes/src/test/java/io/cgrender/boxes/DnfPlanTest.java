package io.cgrender.boxes;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;

import static io.cgrender.boxes.ScriptedHost.fails;
import static io.cgrender.boxes.ScriptedHost.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a dnf box (Amazon Linux 2023) runs to install its packages. This machine has no dnf, so the plan is checked at
 * the {@link io.cgrender.core.ssh.RemoteHost} seam: the commands, in order, against scripted answers of rpm and dnf.
 */
class DnfPlanTest {

    private final StringWriter err = new StringWriter();
    private final PackageInstaller installer = new PackageInstaller(new DnfTool(),
            new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true), false), Duration.ofMinutes(1));

    @Test
    void installsWhatIsMissingAfterOneRefreshAndSkipsAnOptionalPackageTheRepositoriesLack() {
        ScriptedHost host = new ScriptedHost()
                .answer("rpm -q", ok("package htop is not installed\npackage tmux is not installed\n"
                        + "package awscli-2 is not installed\ngit\n"))
                .answer("sudo -n dnf -y -q makecache", ok(""))
                .answer("dnf -q list --available awscli-2", fails(1, ""))
                .answer("sudo -n dnf -y -q install", ok(""));

        installer.install(host, () -> "sudo -n ", List.of("htop", "git", "tmux"), List.of("awscli-2"));

        assertEquals(List.of(
                "rpm -q --qf '%{NAME}\\n' htop git tmux awscli-2 2>/dev/null; true",
                "sudo -n dnf -y -q makecache",
                "dnf -q list --available awscli-2 > /dev/null 2>&1",
                "sudo -n dnf -y -q install htop tmux"), host.commands);
        assertTrue(err.toString().contains("package awscli-2 is not offered by this distribution; skipping it"),
                err.toString());
        assertTrue(err.toString().contains("installing htop tmux"), err.toString());
    }

    @Test
    void aSecondSetupFindsEverythingInstalledAndRunsNoDnfAtAll() {
        ScriptedHost host = new ScriptedHost().answer("rpm -q", ok("htop\nawscli-2\n"));
        installer.install(host, () -> {
            throw new AssertionError("root is not needed when nothing is installed");
        }, List.of("htop"), List.of("awscli-2"));
        assertEquals(1, host.commands.size(), host.commands.toString());
        assertTrue(err.toString().contains("packages already installed: htop awscli-2"), err.toString());
    }

    @Test
    void aPackageDnfCannotFindIsNamedWithTheLastLinesOfItsOutput() {
        ScriptedHost host = new ScriptedHost()
                .answer("rpm -q", ok("package nope is not installed\n"))
                .answer("dnf -y -q makecache", ok(""))
                .answer("dnf -y -q install", fails(1, "Last metadata expiration check: 0:00:01 ago.\n"
                        + "No match for argument: nope\nError: Unable to find a match: nope\n"));

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> installer.install(host, () -> "", List.of("nope"), List.of()));
        assertTrue(e.getMessage().startsWith("dnf install failed (exit 1) on package nope; last lines of its output:"),
                e.getMessage());
        assertTrue(e.getMessage().contains("  Error: Unable to find a match: nope"), e.getMessage());
        assertEquals("dnf -y -q install nope", host.commands.get(2), "as root: no sudo");
    }

    @Test
    void aFailingRefreshIsRetriedOnceThenReported() {
        ScriptedHost host = new ScriptedHost()
                .answer("rpm -q", ok(""))
                .answer("sudo -n dnf -y -q makecache", fails(1, "Curl error (6): Couldn't resolve host name\n"));

        CgrenderException e = assertThrows(CgrenderException.class,
                () -> installer.install(host, () -> "sudo -n ", List.of("htop"), List.of()));
        assertTrue(e.getMessage().startsWith("updating the package lists failed twice (dnf, exit 1)"), e.getMessage());
        assertEquals(2, host.commands.stream().filter(c -> c.contains("makecache")).count(), host.commands.toString());
        assertTrue(host.commands.stream().noneMatch(c -> c.contains("install")), "nothing installed");
        assertTrue(err.toString().contains("retrying once"), err.toString());
    }
}
