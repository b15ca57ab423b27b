package io.cgrender.core.ssh;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A {@link RemoteHost} that hands everything to another, counting the commands it runs; a test may change each
 * command on its way ({@link #command}), e.g. to give it an environment of the test's own.
 */
public class ForwardingHost implements RemoteHost {

    private final RemoteHost host;
    private int execs;
    private int downloads;

    public ForwardingHost(RemoteHost host) {
        this.host = host;
    }

    /** The files downloaded so far. */
    public int downloads() {
        return downloads;
    }

    /** The commands run so far. */
    public int execs() {
        return execs;
    }

    /** The command the other host runs for {@code command}: itself, unless a test says otherwise. */
    protected String command(String command) {
        return command;
    }

    @Override
    public String id() {
        return host.id();
    }

    @Override
    public ExecResult exec(String command, Duration timeout, InputStream stdin, OutputStream stdout,
                           OutputStream stderr) {
        execs++;
        return host.exec(command(command), timeout, stdin, stdout, stderr);
    }

    @Override
    public ExecResult exec(String command, Duration timeout) {
        execs++;
        return host.exec(command(command), timeout);
    }

    @Override
    public void upload(Path localFile, String remotePath) {
        host.upload(localFile, remotePath);
    }

    @Override
    public void download(String remotePath, Path localFile) {
        downloads++;
        host.download(remotePath, localFile);
    }

    @Override
    public boolean isOpen() {
        return host.isOpen();
    }

    @Override
    public void close() {
        host.close();
    }
}
