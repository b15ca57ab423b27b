package io.cgrender.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * A local user of a test's own ({@code useradd}; needs root), with a home the test chose and no password that can log
 * in (the account is not locked, so sshd lets its keys in). {@link #close()} ends its processes and removes it; the
 * home is the caller's to remove.
 */
public final class LocalUser implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROCESS_GRACE = Duration.ofSeconds(5);

    private final String name;
    private final Path home;

    private LocalUser(String name, Path home) {
        this.name = name;
        this.home = home;
    }

    /** Skips the calling test (fails it on CI) unless users can be made here: root and useradd. */
    public static void assumeAvailable() {
        Requirement.require("root".equals(System.getProperty("user.name")), "the test makes a local user (useradd),"
                + " which needs root (CI runs as root)");
        Requirement.require(Files.isExecutable(Path.of("/usr/sbin/useradd")), "useradd is not installed, and the"
                + " test makes a local user");
    }

    /**
     * Makes user {@code name} (with a group of its own) whose home is {@code home}, which must exist; {@code comment}
     * marks it as a test's, to sweep users a killed test left behind.
     */
    public static LocalUser create(String name, Path home, String comment) {
        assumeAvailable();
        OsCommand.run(TIMEOUT, "useradd", "--no-create-home", "--home-dir", home.toString(), "--shell", "/bin/bash",
                "--user-group",
                // '*': no password can log in, but the account is not locked (sshd refuses locked accounts)
                "--password", "*", "--comment", comment, name).requireSuccess();
        return new LocalUser(name, home);
    }

    public String name() {
        return name;
    }

    public Path home() {
        return home;
    }

    /** Lets the holder of {@code publicKeyLine} log in: {@code ~/.ssh/authorized_keys}, owned by the user, 0600. */
    public void authorize(String publicKeyLine) {
        try {
            Path ssh = Files.createDirectories(home.resolve(".ssh"));
            Files.writeString(ssh.resolve("authorized_keys"), publicKeyLine.strip() + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(ssh.resolve("authorized_keys"), PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot authorize a key for " + name, e);
        }
        OsCommand.run(TIMEOUT, "chown", "-R", name + ":" + name, home.toString()).requireSuccess();
    }

    /** Ends the user's processes (TERM, then KILL after a grace) and removes the user. */
    @Override
    public void close() {
        delete(name);
    }

    /** Whether user {@code name} exists. */
    public static boolean exists(String name) {
        return OsCommand.run(TIMEOUT, "id", "-u", name).exitCode() == 0;
    }

    /** The processes running as user {@code name}. */
    public static List<ProcessHandle> processesOf(String name) {
        return ProcessHandle.allProcesses().filter(p -> p.info().user().map(name::equals).orElse(false)).toList();
    }

    /** Ends the processes of user {@code name}: TERM, then KILL those left after a grace. */
    public static void endProcesses(String name) {
        List<ProcessHandle> theirs = processesOf(name);
        theirs.forEach(ProcessHandle::destroy);
        Poll.until(PROCESS_GRACE, () -> theirs.stream().noneMatch(ProcessHandle::isAlive));
        theirs.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /** Removes user {@code name} if it exists, ending its processes first when they keep {@code userdel} from it. */
    public static void delete(String name) {
        if (!exists(name)) {
            return;
        }
        OsCommand.Result r = OsCommand.run(TIMEOUT, "userdel", name);
        if (r.exitCode() != 0 && exists(name)) {
            endProcesses(name);
            OsCommand.run(TIMEOUT, "userdel", name).requireSuccess();
        }
    }
}
