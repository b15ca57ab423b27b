package io.cgrender.cli;

import java.io.InputStream;
import java.util.Map;

/** What the process was started with, beyond its arguments: standard input and the environment. */
public record Invocation(InputStream in, Map<String, String> env) {

    public Invocation {
        env = Map.copyOf(env);
    }
}
