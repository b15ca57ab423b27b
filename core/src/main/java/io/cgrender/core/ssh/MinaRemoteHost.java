package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.SshEndpoint;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.future.CancelOption;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link RemoteHost} over one MINA {@link ClientSession}. Every command runs on its own exec channel, every
 * transfer on its own SFTP channel, so any number may run at once.
 */
final class MinaRemoteHost implements RemoteHost {

    /** After a timeout, how long a command gets to end on SIGTERM before SIGKILL, and then again before giving up. */
    private static final Duration TERMINATION_GRACE = Duration.ofSeconds(1);
    private static final int ABBREVIATED_COMMAND = 80;

    private final MinaSshConnector owner;
    private final String alias;
    private final SshEndpoint endpoint;
    private final ClientSession session;

    MinaRemoteHost(MinaSshConnector owner, String alias, SshEndpoint endpoint, ClientSession session) {
        this.owner = owner;
        this.alias = alias;
        this.endpoint = endpoint;
        this.session = session;
    }

    @Override
    public String id() {
        return alias;
    }

    SshEndpoint endpoint() {
        return endpoint;
    }

    // ---------------------------------------------------------------- commands

    @Override
    public ExecResult exec(String command, Duration timeout, InputStream stdin, OutputStream stdout,
                           OutputStream stderr) {
        requireOpen(command);
        Deadline deadline = Deadline.after(timeout);
        GuardedOutput out = new GuardedOutput(stdout);
        GuardedOutput err = new GuardedOutput(stderr);
        ChannelExec channel;
        try {
            channel = session.createExecChannel(command);
        } catch (IOException e) {
            throw failure("cannot start a command", command, e);
        }
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.addCloseFutureListener(f -> closed.complete(null));
        channel.setOut(out);
        channel.setErr(err);
        if (stdin != null) {
            channel.setIn(stdin);
        }
        try {
            OpenFuture open = channel.open();
            if (!open.await(deadline.remaining(), CancelOption.CANCEL_ON_TIMEOUT, CancelOption.CANCEL_ON_INTERRUPT)) {
                throw timedOut(command, timeout);
            }
            if (!open.isOpened()) {
                throw failure("cannot start a command", command, open.getException());
            }
            if (stdin == null) {
                channel.getInvertedIn().close(); // end of input: a command reading stdin gets EOF, not a hang
            }
            closed.get(deadline.remaining().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            terminate(channel, closed);
            throw timedOut(command, timeout);
        } catch (InterruptedException | InterruptedIOException e) {
            terminate(channel, closed);
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while running on " + alias + ": " + abbreviate(command), e);
        } catch (IOException | ExecutionException e) {
            channel.close(true);
            throw failure("lost track of a command", command, e);
        } catch (RuntimeException e) {
            channel.close(true);
            throw e;
        }
        out.rethrowFailure(command);
        err.rethrowFailure(command);
        Integer status = channel.getExitStatus();
        if (status != null) {
            return new ExecResult(status, "", "");
        }
        String signal = channel.getExitSignal();
        if (signal != null) {
            throw new CgrenderException("command killed by signal " + signal + " on " + alias + ": "
                    + abbreviate(command));
        }
        throw new CgrenderException("command ended without an exit status on " + alias
                + (session.isOpen() ? " (its channel was closed)" : " (the connection was lost)") + ": "
                + abbreviate(command));
    }

    @Override
    public ExecResult exec(String command, Duration timeout) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecResult result = exec(command, timeout, null, out, err);
        return new ExecResult(result.exitCode(), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Ends a command that ran out of time. First SIGTERM to its process group (OpenSSH's "signal" channel request),
     * then SIGKILL if it is still running after a grace period, then the channel is closed (the server closes the
     * command's pipes, so a command that writes output dies of SIGPIPE). OpenSSH refuses signals for root logins
     * (no privilege separation after authentication): there a command that never writes keeps running on the
     * machine until it ends by itself.
     */
    private void terminate(ChannelExec channel, CompletableFuture<Void> closed) {
        try {
            signal(channel, "TERM");
            if (awaitClosed(closed)) {
                return;
            }
            signal(channel, "KILL");
            channel.close(false);
            if (awaitClosed(closed)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close(true);
    }

    private void signal(ChannelExec channel, String signal) {
        try {
            Buffer request = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 32);
            request.putUInt(channel.getRecipient());
            request.putString("signal");
            request.putBoolean(false);
            request.putString(signal);
            channel.writePacket(request);
        } catch (IOException | RuntimeException e) {
            // the channel is already going away; closing it below is all that is left to do
        }
    }

    private static boolean awaitClosed(CompletableFuture<Void> closed) throws InterruptedException {
        try {
            closed.get(TERMINATION_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- files

    @Override
    public void upload(Path localFile, String remotePath) {
        uploadAll(Map.of(remotePath, localFile));
    }

    @Override
    public void uploadAll(Map<String, Path> files) {
        if (files.isEmpty()) {
            return;
        }
        requireOpen("upload " + files.keySet().iterator().next());
        // A missing or unreadable local file fails before any SFTP session opens.
        files.forEach((remote, local) -> {
            try (InputStream ignored = Files.newInputStream(local)) {
                // readable
            } catch (IOException e) {
                throw new CgrenderException("cannot upload " + local + " to " + alias + ":" + remote + ": "
                        + MinaSshConnector.describe(e), e);
            }
        });
        Set<String> knownDirectories = new HashSet<>();
        String remotePath = files.keySet().iterator().next();
        Path localFile = files.get(remotePath);
        try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
            for (Map.Entry<String, Path> file : files.entrySet()) {
                remotePath = file.getKey();
                localFile = file.getValue();
                SftpFiles.upload(sftp, localFile, remotePath, knownDirectories);
            }
        } catch (IOException e) {
            throw new CgrenderException("cannot upload " + localFile + " to " + alias + ":" + remotePath + ": "
                    + MinaSshConnector.describe(e), e);
        }
    }

    @Override
    public void download(String remotePath, Path localFile) {
        downloadAll(Map.of(remotePath, localFile));
    }

    @Override
    public void downloadAll(Map<String, Path> files) {
        if (files.isEmpty()) {
            return;
        }
        requireOpen("download " + files.keySet().iterator().next());
        SftpClient sftp = null;
        try {
            for (Map.Entry<String, Path> file : files.entrySet()) {
                if (sftp == null) {
                    try {
                        sftp = SftpClientFactory.instance().createSftpClient(session);
                    } catch (IOException | RuntimeException e) {
                        throw downloadFailure(file.getKey(), file.getValue(), e);
                    }
                }
                download(sftp, file.getKey(), file.getValue());
            }
        } finally {
            if (sftp != null) {
                try {
                    sftp.close();
                } catch (IOException e) {
                    // every file is in place; the server notices the closed channel on its own
                }
            }
        }
    }

    private void download(SftpClient sftp, String remotePath, Path localFile) {
        try {
            SftpFiles.download(sftp, remotePath, localFile);
        } catch (IOException | RuntimeException e) {
            throw downloadFailure(remotePath, localFile, e);
        }
    }

    private CgrenderException downloadFailure(String remotePath, Path localFile, Throwable cause) {
        return new CgrenderException("cannot download " + alias + ":" + remotePath + " to " + localFile + ": "
                + MinaSshConnector.describe(cause), cause);
    }

    // ---------------------------------------------------------------- session

    @Override
    public boolean isOpen() {
        return session.isOpen();
    }

    @Override
    public void close() {
        owner.forget(alias, this);
        try {
            session.close();
        } catch (IOException e) {
            // the session is closed as far as this client is concerned; the server notices on its own
        }
    }

    private void requireOpen(String what) {
        if (!session.isOpen()) {
            throw new CgrenderException("the SSH session to " + alias + " is closed; connect again to "
                    + abbreviate(what));
        }
    }

    private CgrenderException timedOut(String command, Duration timeout) {
        return new CgrenderException("command timed out after " + timeout.toSeconds() + "s on " + alias + ": "
                + abbreviate(command));
    }

    private CgrenderException failure(String what, String command, Throwable cause) {
        return new CgrenderException(what + " command on " + alias + ": " + abbreviate(command)
                + (cause == null ? "" : " (" + MinaSshConnector.describe(cause) + ")"), cause);
    }

    static String abbreviate(String command) {
        String line = command.strip();
        int newline = line.indexOf('\n');
        if (newline >= 0) {
            line = line.substring(0, newline) + " …";
        }
        return line.length() <= ABBREVIATED_COMMAND ? line : line.substring(0, ABBREVIATED_COMMAND - 1) + "…";
    }

    @Override
    public String toString() {
        return "SSH session to " + alias + " (" + endpoint.user() + "@" + endpoint.address() + ")";
    }

    /**
     * The caller's stream as MINA sees it: a failing write is recorded and later output dropped, instead of letting
     * the exception reach MINA, which would close the whole session (and every other command on it).
     */
    private static final class GuardedOutput extends OutputStream {
        private final OutputStream target;
        private volatile Exception failure;

        GuardedOutput(OutputStream target) {
            this.target = target == null ? OutputStream.nullOutputStream() : target;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (failure != null) {
                return;
            }
            try {
                target.write(b, off, len);
                target.flush();
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }

        void rethrowFailure(String command) {
            if (failure != null) {
                throw new CgrenderException("cannot pass on the output of: " + abbreviate(command) + " ("
                        + failure.getMessage() + ")", failure);
            }
        }
    }
}
