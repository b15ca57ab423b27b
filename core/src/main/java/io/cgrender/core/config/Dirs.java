package io.cgrender.core.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where cgrender keeps its files, following the XDG base directory spec so that two runs with different
 * {@code XDG_*} variables never meet:
 * <ul>
 *   <li>config ({@code $XDG_CONFIG_HOME/cgrender}): {@code cgrender.conf}, {@code known_hosts}, {@code keys/},
 *       {@code plugins/}</li>
 *   <li>data ({@code $XDG_DATA_HOME/cgrender}): images and stored results</li>
 *   <li>state ({@code $XDG_STATE_HOME/cgrender}): the local cloud's boxes, job records, the role index</li>
 * </ul>
 */
public record Dirs(Path config, Path data, Path state) {

    private static final String APP = "cgrender";

    /** The directories for the given environment (normally {@link System#getenv()}) and home directory. */
    public static Dirs from(Map<String, String> env, Path home) {
        return new Dirs(
                base(env, "XDG_CONFIG_HOME", home.resolve(".config")).resolve(APP),
                base(env, "XDG_DATA_HOME", home.resolve(".local/share")).resolve(APP),
                base(env, "XDG_STATE_HOME", home.resolve(".local/state")).resolve(APP));
    }

    public static Dirs fromEnvironment() {
        return from(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * {@code $XDG_CACHE_HOME/cgrender} (default {@code ~/.cache/cgrender}): what can be made again, such as the
     * launcher's class data sharing archive.
     */
    public static Path cache(Map<String, String> env, Path home) {
        return base(env, "XDG_CACHE_HOME", home.resolve(".cache")).resolve(APP);
    }

    /** Per the spec, a variable that is unset, empty or relative is ignored. */
    private static Path base(Map<String, String> env, String variable, Path fallback) {
        String value = env.get(variable);
        if (value == null || value.isBlank() || !Path.of(value).isAbsolute()) {
            return fallback;
        }
        return Path.of(value);
    }

    public Path userConfigFile() {
        return config.resolve("cgrender.conf");
    }

    /** What {@code create --save-defaults / --set-primary} saved; read below {@link #userConfigFile()}. */
    public Path savedDefaultsFile() {
        return config.resolve("defaults.conf");
    }

    public Path knownHosts() {
        return config.resolve("known_hosts");
    }

    public Path keys() {
        return config.resolve("keys");
    }

    public Path plugins() {
        return config.resolve("plugins");
    }
}
