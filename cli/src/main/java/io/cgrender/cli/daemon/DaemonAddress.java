package io.cgrender.cli.daemon;

import io.cgrender.core.config.Dirs;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where the daemon for a build and an environment listens: {@code $XDG_STATE_HOME/cgrender/daemon/KEY.sock}, KEY a
 * digest of the build (the JVM and every class path entry's name, size and time) and of the environment, less the
 * variables that differ between two shells of one user ({@link #PER_SHELL}). A new build or another environment has
 * another key, so it never talks to an old daemon.
 *
 * @param dir    the daemon directory ({@code 0700})
 * @param key    the digest
 * @param build  the build's own digest, which the daemon checks again
 */
public record DaemonAddress(Path dir, String key, String build) {

    /**
     * Variables of one shell, terminal or login, or of the launcher's own JVM, not of the user's set-up; the command
     * gets the front end's own values.
     */
    static final Set<String> PER_SHELL = Set.of("PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES", "TERM",
            "WINDOWID", "TERM_SESSION_ID", "ITERM_SESSION_ID", "GNOME_TERMINAL_SCREEN", "TMUX_PANE", "SSH_TTY",
            "SSH_CLIENT", "SSH_CONNECTION", "CGRENDER_DAEMON", "CGRENDER_JAVA_OPTS", "CGRENDER_CDS");

    /** A Unix domain socket's path holds at most 107 bytes on Linux. */
    private static final int MAX_SOCKET_PATH = 100;

    /** The address for this JVM's build and {@code env}; empty when its path would be too long for a socket. */
    public static Optional<DaemonAddress> of(Map<String, String> env) {
        Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
        Path dir = Dirs.from(env, home).state().resolve("daemon");
        String build = buildOfThisJvm();
        StringBuilder identity = new StringBuilder(build).append('\0').append(dir).append('\0');
        for (Map.Entry<String, String> variable : new TreeMap<>(env).entrySet()) {
            if (!PER_SHELL.contains(variable.getKey())) {
                identity.append(variable.getKey()).append('=').append(variable.getValue()).append('\0');
            }
        }
        DaemonAddress address = new DaemonAddress(dir, digest(identity.toString()), build);
        return address.socket().toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH
                ? Optional.empty() : Optional.of(address);
    }

    public Path socket() {
        return dir.resolve(key + ".sock");
    }

    /** Held by the running daemon: two started at once, one serves. */
    public Path lock() {
        return dir.resolve(key + ".lock");
    }

    /** The daemon's process id, while it runs. */
    public Path pidFile() {
        return dir.resolve(key + ".pid");
    }

    /** What the daemon says about itself (start, end, failures); never a command's output. */
    public Path log() {
        return dir.resolve(key + ".log");
    }

    /**
     * Set by the launcher to the key it made of the JVM's and every jar's size and time (for its class data archive),
     * which spares the front end a stat of every jar.
     */
    static final String LAUNCHER_BUILD = "cgrender.build";

    /** The JVM and the class path: what a new install or build changes. */
    static String buildOfThisJvm() {
        StringBuilder build = new StringBuilder(System.getProperty("java.home")).append('\0')
                .append(System.getProperty("java.vm.version")).append('\0');
        String launcher = System.getProperty(LAUNCHER_BUILD, "");
        if (!launcher.isEmpty()) {
            return digest(build.append(launcher).append('\0').append(System.getProperty("java.class.path"))
                    .toString());
        }
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            // (java.io.File: one stat each, with fewer classes for the front end to load than NIO's attribute views)
            File file = new File(entry);
            build.append(entry).append('\0').append(file.length()).append('\0').append(file.lastModified())
                    .append('\0');
        }
        return digest(build.toString());
    }

    /**
     * 64-bit FNV-1a, in hex: a name, not a secret (the directory's permissions keep others out), and cheaper to start
     * than a MessageDigest, which loads the JVM's security providers.
     */
    static String digest(String text) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        String hex = Long.toHexString(hash);
        return "0".repeat(16 - hex.length()) + hex;
    }
}
