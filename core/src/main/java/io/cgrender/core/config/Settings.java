package io.cgrender.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * cgrender's configuration, layered from weakest to strongest: every module's {@code reference.conf}, the defaults
 * cgrender saved for the user ({@code $XDG_CONFIG_HOME/cgrender/defaults.conf}, see {@link SavedDefaults}), the user
 * file {@code $XDG_CONFIG_HOME/cgrender/cgrender.conf}, a file given with {@code -c}, the environment
 * ({@code CGRENDER_NAMESPACE}, {@code CGRENDER_CLOUD}, and Typesafe Config's {@code CONFIG_FORCE_*}), and
 * finally command-line options. Unknown keys and values of the wrong type are refused with the file and line.
 */
public final class Settings {

    public static final String ROOT = "cgrender";

    private final Config config;

    private Settings(Config config) {
        this.config = config;
    }

    /**
     * Loads and validates the configuration.
     *
     * @param dirs      where the user file lives
     * @param extraFile the file given with {@code -c}, if any (must exist)
     * @param env       the process environment
     * @param overrides values from command-line options, by full path (e.g. {@code cgrender.cloud})
     */
    public static Settings load(Dirs dirs, Optional<Path> extraFile, Map<String, String> env,
                                Map<String, Object> overrides) {
        return load(dirs, extraFile, env, overrides, Settings.class.getClassLoader());
    }

    /**
     * As {@link #load(Dirs, Optional, Map, Map)}, with the {@code reference.conf} files {@code loader} sees (those of
     * plugins too, so that their keys are known).
     */
    public static Settings load(Dirs dirs, Optional<Path> extraFile, Map<String, String> env,
                                Map<String, Object> overrides, ClassLoader loader) {
        Config reference = ConfigFactory.defaultReference(loader);
        Config saved = parseFile(dirs.savedDefaultsFile(), false);
        Config user = parseFile(dirs.userConfigFile(), false);
        Config extra = extraFile.map(file -> parseFile(file, true)).orElse(ConfigFactory.empty());
        Config fromEnv = environment(env);
        Config fromOptions = ConfigFactory.parseMap(overrides, "command-line option");

        for (Config layer : new Config[] {saved, user, extra, fromEnv}) {
            rejectUnknownKeys(layer, reference);
        }
        Config merged = fromOptions
                .withFallback(fromEnv)
                .withFallback(ConfigFactory.systemEnvironmentOverrides())
                .withFallback(extra)
                .withFallback(user)
                .withFallback(saved)
                .withFallback(reference)
                .resolve();
        try {
            merged.checkValid(reference, ROOT);
        } catch (ConfigException.ValidationFailed e) {
            throw new UsageException("bad configuration: " + firstLine(e.getMessage())
                    + "; fix the value or remove it to use the default");
        }
        Settings settings = new Settings(merged);
        settings.validateDurations(reference.getConfig(ROOT), ROOT);
        return settings;
    }

    /** The defaults alone, for tests and tools that take no user configuration. */
    public static Settings defaults() {
        return new Settings(ConfigFactory.defaultReference(Settings.class.getClassLoader()).resolve());
    }

    public Config config() {
        return config;
    }

    public String string(String path) {
        return config.getString(path);
    }

    public Duration duration(String path) {
        return config.getDuration(path);
    }

    public boolean has(String path) {
        return config.hasPath(path);
    }

    public String cloud() {
        return config.getString(ROOT + ".cloud");
    }

    public String namespace() {
        return config.getString(ROOT + ".namespace");
    }

    public Duration idleTimeout() {
        return duration(ROOT + ".box.idle-timeout");
    }

    public Duration maxLifetime() {
        return duration(ROOT + ".box.max-lifetime");
    }

    public Duration orphanTimeout() {
        return duration(ROOT + ".box.orphan-timeout");
    }

    public Duration timeout(String name) {
        return duration(ROOT + ".timeouts." + name);
    }

    /** The primary box of {@code namespace} ({@code cgrender.primary}), which render and run use first. */
    public Optional<String> primaryBox(Namespace namespace) {
        String path = ConfigUtil.joinPath(ROOT, "primary", namespace.toString());
        return config.hasPath(path) ? Optional.of(config.getString(path)).filter(s -> !s.isBlank()) : Optional.empty();
    }

    /** A saved default for new boxes of {@code role} ({@code cgrender.roles."ROLE".NAME}), if there is one. */
    public Optional<String> roleDefault(String role, String name) {
        String path = ConfigUtil.joinPath(ROOT, "roles", role, name);
        return config.hasPath(path) ? Optional.of(config.getValue(path).unwrapped().toString()) : Optional.empty();
    }

    private static Config parseFile(Path file, boolean mustExist) {
        if (!Files.exists(file)) {
            if (mustExist) {
                throw new UsageException("config file " + file + " does not exist; check the path given with -c");
            }
            return ConfigFactory.empty();
        }
        try {
            return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new UsageException("cannot read config file " + file + ": " + firstLine(e.getMessage()));
        }
    }

    private static Config environment(Map<String, String> env) {
        Config config = ConfigFactory.empty();
        String namespace = env.get("CGRENDER_NAMESPACE");
        if (namespace != null && !namespace.isBlank()) {
            config = config.withFallback(ConfigFactory.parseMap(
                    Map.of(ROOT + ".namespace", namespace), "environment variable CGRENDER_NAMESPACE"));
        }
        String cloud = env.get("CGRENDER_CLOUD");
        if (cloud != null && !cloud.isBlank()) {
            config = config.withFallback(ConfigFactory.parseMap(
                    Map.of(ROOT + ".cloud", cloud), "environment variable CGRENDER_CLOUD"));
        }
        return config;
    }

    /** Refuses keys under {@code cgrender} that no module's reference.conf declares (usually typos). */
    private static void rejectUnknownKeys(Config layer, Config reference) {
        if (!layer.hasPath(ROOT)) {
            return;
        }
        for (Map.Entry<String, ConfigValue> entry : layer.getConfig(ROOT).entrySet()) {
            String path = ROOT + "." + entry.getKey();
            if (!reference.hasPathOrNull(path) && !underOpenSection(reference, path)) {
                ConfigOrigin origin = entry.getValue().origin();
                UsageException unknown = new UsageException("unknown config key '" + path + "' ("
                        + origin.description() + "); " + knownKeysNear(reference, path));
                if (origin.filename() != null && origin.lineNumber() > 0) {
                    unknown.fix("correct or remove line " + origin.lineNumber() + " of " + origin.filename());
                }
                throw unknown;
            }
        }
    }

    /** A section declared in reference.conf as an empty object takes any keys (e.g. per-role defaults). */
    private static boolean underOpenSection(Config reference, String path) {
        List<String> elements = ConfigUtil.splitPath(path);
        for (int n = elements.size() - 1; n >= 1; n--) {
            String parent = ConfigUtil.joinPath(elements.subList(0, n));
            if (reference.hasPath(parent) && reference.getValue(parent).valueType() == ConfigValueType.OBJECT
                    && ((ConfigObject) reference.getValue(parent)).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private static String knownKeysNear(Config reference, String path) {
        List<String> elements = ConfigUtil.splitPath(path);
        int n = Math.max(1, elements.size() - 1);
        String parent = ConfigUtil.joinPath(elements.subList(0, n));
        while (!reference.hasPath(parent) && n > 1) {
            parent = ConfigUtil.joinPath(elements.subList(0, --n));
        }
        TreeSet<String> keys = new TreeSet<>();
        if (reference.hasPath(parent) && reference.getValue(parent).valueType() == ConfigValueType.OBJECT) {
            keys.addAll(reference.getObject(parent).keySet());
        }
        return keys.isEmpty() ? "see reference.conf for the known keys"
                : "known keys under " + parent + ": " + String.join(", ", keys);
    }

    /** Typesafe Config checks types lazily; read every duration now so a bad one fails before anything runs. */
    private void validateDurations(Config referenceRoot, String prefix) {
        for (Map.Entry<String, ConfigValue> entry : referenceRoot.entrySet()) {
            String path = prefix + "." + entry.getKey();
            ConfigValue value = entry.getValue();
            if (value.valueType() == ConfigValueType.STRING && looksLikeDuration(value.unwrapped().toString())) {
                try {
                    Duration d = config.getDuration(path);
                    if (d.isNegative() || d.isZero()) {
                        throw new UsageException("bad configuration: " + path + " must be a positive duration (e.g."
                                + " 30m, 8h), not '" + config.getValue(path).unwrapped() + "' ("
                                + config.getValue(path).origin().description() + ")");
                    }
                } catch (ConfigException e) {
                    throw new UsageException("bad configuration: " + firstLine(e.getMessage())
                            + "; use a duration such as 90s, 30m or 8h");
                }
            }
        }
    }

    private static boolean looksLikeDuration(String text) {
        return text.matches("\\d+\\s*(ms|s|m|h|d)");
    }

    private static String firstLine(String message) {
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
