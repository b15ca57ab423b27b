package io.cgrender.cli;

import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.core.ssh.KeyFiles;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.testkit.LocalSshd;
import io.cgrender.testkit.OsCommand;
import io.cgrender.testkit.Requirement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The system ssh and rsync that {@code cgrender ssh}, {@code rsync} and {@code show} use, run for real against
 * OpenSSH's sshd on loopback: they trust exactly the pinned key in cgrender's known_hosts, wherever that file is, and
 * nothing from the user's ssh configuration.
 */
class SystemSshTest {

    private static final Duration TOOL = Duration.ofSeconds(30);
    private static final String ALIAS = "l-00000000ssh0";

    private static LocalSshd sshd;
    private static KeyPair clientKey;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startSshd() {
        Requirement.require(Files.isExecutable(Path.of("/usr/bin/ssh"))
                && Files.isExecutable(Path.of("/usr/bin/rsync")), "the OpenSSH client or rsync is not installed");
        sshd = LocalSshd.start();
        clientKey = KeyFiles.generateEd25519();
        sshd.authorize(KeyFiles.publicKeyLine(clientKey.getPublic()));
    }

    @AfterAll
    static void stopSshd() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void aConfigDirectoryWithASpaceAQuoteAndAPercentSignIsOneDirectory() throws IOException {
        Path config = tmp.resolve("it's my 100%h config");
        SystemSsh ssh = systemSsh(config);
        pin(config, sshd.hostKeyLine());

        OsCommand.Result echo = run(tmp, ssh, "echo", "hello");
        assertEquals(0, echo.exitCode(), echo.toString());
        assertEquals("hello\n", echo.stdout());

        Path source = Files.writeString(tmp.resolve("model.scad"), "cube(1);");
        Path target = Files.createDirectories(tmp.resolve("on the box"));
        OsCommand.Result rsync = OsCommand.run(TOOL, "rsync", "-e", ssh.rsyncShell(), source.toString(),
                ssh.destination() + ":" + target + "/");
        assertEquals(0, rsync.exitCode(), rsync.toString());
        assertEquals("cube(1);", Files.readString(target.resolve("model.scad")));
    }

    @Test
    void theWorkingDirectoryNeverChoosesTheTrustedHostKey() throws IOException {
        Path config = tmp.resolve("my config");
        SystemSsh ssh = systemSsh(config);
        pin(config, KeyFiles.publicKeyLine(KeyFiles.generateEd25519().getPublic()));
        // Split at its space, the known_hosts path would end in "config/known_hosts" below the working directory.
        Path cwd = Files.createDirectories(tmp.resolve("somebody else's directory"));
        Path planted = Files.createDirectories(cwd.resolve("config")).resolve("known_hosts");
        Files.writeString(planted, ALIAS + " " + sshd.hostKeyLine() + "\n");
        Path marker = tmp.resolve("ran");

        OsCommand.Result result = run(cwd, ssh, "touch", marker.toString());

        assertNotEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("Host key verification failed"), result.toString());
        assertFalse(Files.exists(marker), "nothing runs on a server whose key is not the pinned one");
    }

    @Test
    void theUsersSshConfigurationIsNotRead() throws IOException {
        Path home = Path.of(System.getProperty("user.home"));
        Requirement.require(OsCommand.run(TOOL, "unshare", "--mount", "--", "mount", "--bind", tmp.toString(),
                        home.toString()).exitCode() == 0,
                "cannot bind-mount over " + home + " in a private mount namespace (unshare --mount needs root)");
        SystemSsh ssh = systemSsh(tmp.resolve("config"));
        pin(tmp.resolve("config"), sshd.hostKeyLine());
        // The user's own ~/.ssh/config, seen only by this test's ssh (a mount namespace of its own).
        Path fakeHome = Files.createDirectories(tmp.resolve("home"));
        Path marker = tmp.resolve("local-command-ran");
        Files.createDirectories(fakeHome.resolve(".ssh"));
        Files.writeString(fakeHome.resolve(".ssh/config"), "Host *\n  PermitLocalCommand yes\n  LocalCommand touch "
                + marker + "\n");
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--", "sh", "-c",
                "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sh", fakeHome.toString(), home.toString()));
        command.addAll(ssh.command());
        command.add("true");

        OsCommand.Result result = OsCommand.run(TOOL, command);

        assertEquals(0, result.exitCode(), result.toString());
        assertFalse(Files.exists(marker), "the LocalCommand of ~/.ssh/config ran: " + result);
    }

    private SystemSsh systemSsh(Path configDir) throws IOException {
        Path key = configDir.resolve("keys/id_ed25519");
        KeyFiles.write(clientKey, key, "test");
        return new SystemSsh(key, configDir.resolve("known_hosts"), ALIAS,
                new SshEndpoint(LocalSshd.HOST, sshd.port(), sshd.user()));
    }

    private static void pin(Path configDir, String keyLine) {
        new KnownHosts(configDir.resolve("known_hosts")).pin(ALIAS, KeyFiles.parsePublicKeyLine(keyLine));
    }

    private static OsCommand.Result run(Path cwd, SystemSsh ssh, String... remote) {
        List<String> command = new ArrayList<>(ssh.command());
        command.addAll(List.of(remote));
        return OsCommand.run(TOOL, cwd, command);
    }
}
