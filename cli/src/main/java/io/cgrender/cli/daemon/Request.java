package io.cgrender.cli.daemon;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A command line the front end asks the daemon to run, with what it runs with: the environment (its working directory
 * in {@code PWD}) and what its standard output goes to.
 *
 * @param build    the front end's build ({@link DaemonAddress#build()}); the daemon refuses another
 * @param args     the command line
 * @param env      the front end's environment
 * @param terminal whether the front end's standard input and output are a terminal
 * @param columns  the terminal's width, when known
 */
record Request(String build, List<String> args, Map<String, String> env, boolean terminal, OptionalInt columns) {

    Request {
        args = List.copyOf(args);
        env = Map.copyOf(env);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            text(out, build);
            out.writeBoolean(terminal);
            out.writeInt(columns.orElse(0));
            out.writeInt(args.size());
            for (String arg : args) {
                text(out, arg);
            }
            out.writeInt(env.size());
            for (Map.Entry<String, String> e : env.entrySet()) {
                text(out, e.getKey());
                text(out, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Request decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        String build = text(in);
        boolean terminal = in.readBoolean();
        int columns = in.readInt();
        String[] args = new String[count(in)];
        for (int i = 0; i < args.length; i++) {
            args[i] = text(in);
        }
        int variables = count(in);
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < variables; i++) {
            env.put(text(in), text(in));
        }
        return new Request(build, List.of(args), env, terminal,
                columns > 0 ? OptionalInt.of(columns) : OptionalInt.empty());
    }

    private static void text(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String text(DataInputStream in) throws IOException {
        byte[] bytes = new byte[count(in)];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("a request with a count of " + n + " where " + in.available() + " bytes are left");
        }
        return n;
    }
}
