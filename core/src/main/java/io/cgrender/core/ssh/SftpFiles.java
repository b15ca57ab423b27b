package io.cgrender.core.ssh;

import io.cgrender.core.os.FileModes;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Whole-file transfers over one SFTP session, each file appearing whole or not at all on the receiving side: it is
 * written under a temporary name beside its target, then renamed into place, and the partial file is removed when
 * the transfer fails (a full disk, a lost connection). A file replaced this way is a new file: whoever still has the
 * old one open or hard-linked (a job's copy of its inputs) keeps the old content.
 */
final class SftpFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private SftpFiles() {
    }

    /**
     * Uploads {@code localFile} to {@code remotePath}, creating missing parent directories (once per directory in
     * {@code knownDirectories}), with the local file's mode and modification time (whole seconds).
     */
    static void upload(SftpClient sftp, Path localFile, String remotePath, Set<String> knownDirectories)
            throws IOException {
        String parent = parentOf(remotePath);
        if (parent != null && knownDirectories.add(parent)) {
            makeDirectories(sftp, parent);
        }
        String partial = remotePath.substring(0, remotePath.lastIndexOf('/') + 1) + "." + nameOf(remotePath) + "."
                + HexFormat.of().formatHex(RANDOM.generateSeed(6)) + ".part";
        try (InputStream in = Files.newInputStream(localFile)) {
            try (OutputStream out = sftp.write(partial)) {
                in.transferTo(out);
            }
            sftp.setStat(partial, attributesOf(localFile));
            replace(sftp, partial, remotePath);
        } catch (IOException | RuntimeException e) {
            try {
                sftp.remove(partial);
            } catch (IOException | RuntimeException cleanup) {
                if (!(cleanup instanceof SftpException s && s.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE)) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /** Downloads {@code remotePath} to {@code localFile}, with the remote file's mode less group/other write. */
    static void download(SftpClient sftp, String remotePath, Path localFile) throws IOException {
        Path target = localFile.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path partial = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
        try {
            int remoteMode = sftp.stat(remotePath).getPermissions() & 0777;
            try (InputStream in = sftp.read(remotePath); OutputStream out = Files.newOutputStream(partial)) {
                in.transferTo(out);
            }
            Files.setPosixFilePermissions(partial, FileModes.downloaded(remoteMode));
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Renames {@code from} over {@code to}: atomically where the server can (OpenSSH's posix-rename). */
    private static void replace(SftpClient sftp, String from, String to) throws IOException {
        OpenSSHPosixRenameExtension posix = sftp.getExtension(OpenSSHPosixRenameExtension.class);
        if (posix != null && posix.isSupported()) {
            posix.posixRename(from, to);
            return;
        }
        try {
            sftp.remove(to);
        } catch (SftpException e) {
            if (e.getStatus() != SftpConstants.SSH_FX_NO_SUCH_FILE) {
                throw e;
            }
        }
        sftp.rename(from, to);
    }

    private static SftpClient.Attributes attributesOf(Path file) throws IOException {
        SftpClient.Attributes attributes = new SftpClient.Attributes();
        long modified = Files.getLastModifiedTime(file).to(TimeUnit.SECONDS);
        attributes.accessTime(modified, TimeUnit.SECONDS).modifyTime(modified, TimeUnit.SECONDS);
        try {
            attributes.perms(FileModes.mode(Files.readAttributes(file, PosixFileAttributes.class).permissions()));
        } catch (UnsupportedOperationException notPosix) {
            // the server's default mode, then
        }
        return attributes;
    }

    /** Creates {@code dir} and its missing parents; a directory another transfer just created is fine. */
    private static void makeDirectories(SftpClient sftp, String dir) throws IOException {
        if (isDirectory(sftp, dir)) {
            return;
        }
        List<String> prefixes = new ArrayList<>();
        StringBuilder prefix = new StringBuilder(dir.startsWith("/") ? "/" : "");
        for (String part : dir.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            if (!prefix.isEmpty() && prefix.charAt(prefix.length() - 1) != '/') {
                prefix.append('/');
            }
            prefix.append(part);
            prefixes.add(prefix.toString());
        }
        for (String p : prefixes) {
            if (isDirectory(sftp, p)) {
                continue;
            }
            try {
                sftp.mkdir(p);
            } catch (SftpException e) {
                if (!isDirectory(sftp, p)) {
                    throw e;
                }
            }
        }
    }

    /** Whether {@code path} is a directory; false if it does not exist; an error if it is something else. */
    private static boolean isDirectory(SftpClient sftp, String path) throws IOException {
        try {
            SftpClient.Attributes attributes = sftp.stat(path);
            if (!attributes.isDirectory()) {
                throw new IOException(path + " exists and is not a directory");
            }
            return true;
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
                return false;
            }
            throw e;
        }
    }

    private static String parentOf(String remotePath) {
        int slash = remotePath.lastIndexOf('/');
        return slash <= 0 ? null : remotePath.substring(0, slash);
    }

    private static String nameOf(String remotePath) {
        return remotePath.substring(remotePath.lastIndexOf('/') + 1);
    }
}
