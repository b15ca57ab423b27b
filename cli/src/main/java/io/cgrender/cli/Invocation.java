package io.cgrender.cli;

import io.cgrender.core.config.Dirs;
import io.cgrender.core.ui.Interrupts;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a command line runs with, beyond its arguments: standard input, the environment, what standard output goes to,
 * and where an interrupt of the command comes from.
 */
public record Invocation(InputStream in, Map<String, String> env, Terminal terminal, Interrupts interrupts) {

    public Invocation {
        env = Map.copyOf(env);
    }

    /** A command line run by this process, as its own: its terminal, and its shutdown hooks for interrupts. */
    public Invocation(InputStream in, Map<String, String> env) {
        this(in, env, Terminal.ofThisProcess(env), Interrupts.JVM);
    }

    /** cgrender's directories for this environment ({@code XDG_*}, {@code HOME}). */
    public Dirs dirs() {
        return Dirs.from(env, home());
    }

    /** {@code $XDG_CACHE_HOME/cgrender}, where the launcher keeps its class data sharing archive. */
    public Path cacheDir() {
        return Dirs.cache(env, home());
    }

    /** The user's home directory ({@code HOME}). */
    public Path home() {
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
    }

    /** The directory relative paths on the command line are relative to. */
    public Path cwd() {
        return Path.of(env.getOrDefault("PWD", System.getProperty("user.dir")));
    }
}
