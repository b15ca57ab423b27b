package io.cgrender.core.ssh;

/**
 * How a remote command ended. {@code stdout}/{@code stderr} hold the output only when the caller asked for it to
 * be captured; streamed output is not kept.
 */
public record ExecResult(int exitCode, String stdout, String stderr) {

    public boolean succeeded() {
        return exitCode == 0;
    }
}
