package io.cgrender.core.ssh;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A connected machine: commands and file transfer over one SSH session whose host key was verified before
 * anything ran. Implementations hide the SSH library. Thread-safe: several commands may run at once over the one
 * session, each on its own channel.
 * <p>
 * Remote paths are relative to the login user's home directory unless absolute.
 */
public interface RemoteHost extends AutoCloseable {

    /** The machine id this session is pinned to (its host-key alias). */
    String id();

    /**
     * Runs {@code command} through the login shell, streaming its output as it comes. Output on stderr is not a
     * failure (apt writes progress there); only the exit code is.
     *
     * @param stdin fed to the command, or {@code null} for none
     * @return the exit code, with empty {@code stdout}/{@code stderr}
     * @throws io.cgrender.core.CgrenderException if the command does not finish within {@code timeout} (it is sent
     *                                            SIGTERM, then SIGKILL, and its channel is closed; OpenSSH refuses
     *                                            signals to root logins, where only a command that writes output
     *                                            is sure to end), if it ends without an exit status (killed by a
     *                                            signal, connection lost), or if writing its output fails
     */
    ExecResult exec(String command, Duration timeout, InputStream stdin, OutputStream stdout, OutputStream stderr);

    /** Runs {@code command} and captures its output (UTF-8) in the result. For short output only. */
    ExecResult exec(String command, Duration timeout);

    /**
     * Copies a local file to {@code remotePath} over SFTP, creating missing parent directories, with the local file's
     * mode and modification time (whole seconds). The file appears whole or not at all: it is written under a
     * temporary name beside its target and renamed into place, so a file it replaces is never rewritten (whoever has
     * the old one keeps it), and the partial file is removed when the upload fails.
     */
    void upload(Path localFile, String remotePath);

    /** Copies {@code remotePath} to {@code localFile} over SFTP; the local file appears whole or not at all. */
    void download(String remotePath, Path localFile);

    /**
     * Copies local files to remote paths (remote path → local file), in order, as {@link #upload} does each; over
     * one SFTP session where the implementation can, which saves the session's round trips for every file but the
     * first. Stops at the first failure.
     */
    default void uploadAll(Map<String, Path> files) {
        files.forEach((remote, local) -> upload(local, remote));
    }

    /**
     * Copies remote files to local ones (remote path → local file), in order, as {@link #download} does each; over
     * one SFTP session where the implementation can. Stops at the first failure.
     */
    default void downloadAll(Map<String, Path> files) {
        files.forEach(this::download);
    }

    /** Whether the session is still open. */
    boolean isOpen();

    @Override
    void close();
}
