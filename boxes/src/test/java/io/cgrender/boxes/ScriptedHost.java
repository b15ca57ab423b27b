package io.cgrender.boxes;

import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link RemoteHost} that answers commands from a script instead of running them, and records them: the seam at
 * which a box's setup is checked for a distribution this machine is not (its commands, in order). A command no
 * answer matches exits 127 with "not scripted", so a plan that runs anything unexpected shows it.
 */
final class ScriptedHost implements RemoteHost {

    private final Map<String, List<ExecResult>> answers = new LinkedHashMap<>();
    final List<String> commands = new ArrayList<>();
    /** What commands were given on standard input, by the command's index in {@link #commands}. */
    final Map<Integer, String> inputs = new LinkedHashMap<>();

    /** Commands starting with {@code prefix} get these results in turn; the last one repeats. */
    ScriptedHost answer(String prefix, ExecResult... results) {
        answers.put(prefix, new ArrayList<>(List.of(results)));
        return this;
    }

    static ExecResult ok(String stdout) {
        return new ExecResult(0, stdout, "");
    }

    static ExecResult fails(int code, String stdout) {
        return new ExecResult(code, stdout, "");
    }

    @Override
    public String id() {
        return "scripted";
    }

    @Override
    public ExecResult exec(String command, Duration timeout, InputStream stdin, OutputStream stdout,
                           OutputStream stderr) {
        ExecResult result = exec(command, timeout);
        try {
            if (stdin != null) {
                inputs.put(commands.size() - 1, new String(stdin.readAllBytes(), StandardCharsets.UTF_8));
            }
            stdout.write(result.stdout().getBytes(StandardCharsets.UTF_8));
            stdout.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ExecResult(result.exitCode(), "", "");
    }

    @Override
    public ExecResult exec(String command, Duration timeout) {
        commands.add(command);
        for (Map.Entry<String, List<ExecResult>> answer : answers.entrySet()) {
            if (command.startsWith(answer.getKey())) {
                List<ExecResult> results = answer.getValue();
                return results.size() > 1 ? results.remove(0) : results.get(0);
            }
        }
        return new ExecResult(127, "not scripted: " + command, "");
    }

    @Override
    public void upload(Path localFile, String remotePath) {
        throw new UnsupportedOperationException("not scripted: upload");
    }

    @Override
    public void download(String remotePath, Path localFile) {
        throw new UnsupportedOperationException("not scripted: download");
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
