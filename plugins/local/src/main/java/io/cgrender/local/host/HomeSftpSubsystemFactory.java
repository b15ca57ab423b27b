package io.cgrender.local.host;

import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.sftp.server.SftpSubsystem;
import org.apache.sshd.sftp.server.SftpSubsystemConfigurator;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * SFTP on the host's native file system, with relative paths resolved against the box's home — what OpenSSH's
 * sftp-server does with the login user's home. Deliberately not a chroot: the local box <em>is</em> this machine,
 * and a path must mean the same over SFTP as in a command run on the box (jobs name their outputs by path).
 */
final class HomeSftpSubsystemFactory extends SftpSubsystemFactory {

    /** MINA's attribute name for POSIX permissions (as in {@code Files.readAttributes(p, "posix:*")}). */
    private static final String PERMISSIONS = "permissions";

    private final Path home;

    HomeSftpSubsystemFactory(Path home) {
        this.home = home.toAbsolutePath().normalize();
    }

    @Override
    public Command createSubsystem(ChannelSession channel) {
        HomeSftpSubsystem subsystem = new HomeSftpSubsystem(channel, this, home);
        getRegisteredListeners().forEach(subsystem::addSftpEventListener);
        return subsystem;
    }

    private static final class HomeSftpSubsystem extends SftpSubsystem {
        private final Path home;

        HomeSftpSubsystem(ChannelSession channel, SftpSubsystemConfigurator configurator, Path home) {
            super(channel, configurator);
            this.home = home;
        }

        @Override
        public Path getDefaultDirectory() {
            return home;
        }

        /**
         * Clients send mode 0777 with mkdir and expect the umask to apply, as with OpenSSH's sftp-server; MINA sets
         * the mode as given. Apply the usual umask (022) instead.
         */
        @Override
        protected void doMakeDirectory(int id, String path, Map<String, ?> attrs) throws IOException {
            Map<String, Object> masked = new HashMap<>(attrs);
            if (masked.get(PERMISSIONS) instanceof Set<?> requested) {
                Set<Object> permissions = new HashSet<>(requested);
                permissions.remove(PosixFilePermission.GROUP_WRITE);
                permissions.remove(PosixFilePermission.OTHERS_WRITE);
                masked.put(PERMISSIONS, permissions);
            }
            super.doMakeDirectory(id, path, masked);
        }
    }
}
