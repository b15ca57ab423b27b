package io.cgrender.core.box;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.plugin.PluginJar;
import io.cgrender.core.plugin.Plugins;
import io.github.classgraph.ClassGraphException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The box roles cgrender can create, by name: the one place roles come from.
 * <p>
 * {@link #discover} finds concrete {@link Box} subclasses carrying {@link Role} with ClassGraph, reading only what
 * it must: cgrender's own packages ({@code io.cgrender}) on its class path, the packages that jars on that class path
 * declare in a plugin manifest, and in each plugin jar only the packages its manifest declares. A class that cannot
 * be a role (abstract, no public no-arg constructor, fails to load) is skipped with a warning naming its jar and
 * class; two classes claiming one role name is an error naming both. What ClassGraph found is remembered per set of
 * jars ({@link RoleIndex}), so that it only runs again when a jar changed.
 */
public final class Roles {

    /** cgrender's own packages: where built-in roles live. */
    public static final String BUILT_IN_PACKAGE = "io.cgrender";

    private static final Pattern ROLE_NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    /** A role as discovered: its name, description, class and where it came from (built-in or a jar path). */
    public record RoleInfo(String name, String description, Class<? extends Box> type, String source) {

        /** A new instance of the role's box. */
        public Box newBox() {
            try {
                return type.getDeclaredConstructor().newInstance();
            } catch (InvocationTargetException e) {
                throw new CgrenderException("cannot create a box of role " + name + " (" + type.getName() + ", "
                        + source + "): " + Plugins.describe(e), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new CgrenderException("cannot create a box of role " + name + " (" + type.getName() + ", "
                        + source + "): " + Plugins.describe(e), e);
            }
        }
    }

    private final Map<String, RoleInfo> byName;

    public Roles(Map<String, RoleInfo> byName) {
        this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
    }

    /** The roles on cgrender's class path and in {@code plugins}, scanning every time. */
    public static Roles discover(Plugins plugins) {
        return discover(plugins, Optional.empty());
    }

    /**
     * The roles on cgrender's class path and in {@code plugins}; problems are reported through the plugins.
     *
     * @param indexDir where to remember what ClassGraph found, per set of jars, so that it runs again only when a
     *                 jar changes (see {@link RoleIndex}); empty to scan every time
     */
    public static Roles discover(Plugins plugins, Optional<Path> indexDir) {
        RoleIndex index = new RoleIndex(indexDir);
        Discovery discovery = new Discovery(plugins);
        Map<Path, PluginJar> classPathPlugins = new HashMap<>();
        List<String> packages = new ArrayList<>(List.of(BUILT_IN_PACKAGE));
        for (PluginJar jar : plugins.onClassPath()) {
            classPathPlugins.put(jar.path().toAbsolutePath().normalize(), jar);
            packages.addAll(jar.packages());
        }
        for (RoleIndex.Candidate found : index.onClassPath(plugins.parent(), packages)) {
            PluginJar jar = classPathPlugins.get(found.element());
            discovery.consider(found.className(), jar == null ? Plugins.BUILT_IN : jar.path().toString(),
                    plugins.parent());
        }
        for (Plugins.Loaded plugin : plugins.loaded()) {
            Path jar = plugin.jar().path();
            try {
                for (RoleIndex.Candidate found : index.inJar(jar, plugin.jar().packages())) {
                    discovery.consider(found.className(), jar.toString(), plugin.loader());
                }
            } catch (ClassGraphException e) {
                plugins.warn("cannot scan plugin " + jar + " for roles: " + e.getMessage() + "; skipped");
            }
        }
        return discovery.roles();
    }

    public RoleInfo get(String name) {
        RoleInfo info = byName.get(name);
        if (info == null) {
            throw new UsageException("unknown role '" + name + "'; known roles: " + String.join(", ", byName.keySet()))
                    .see("cgrender list-roles");
        }
        return info;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public Map<String, RoleInfo> all() {
        return byName;
    }

    /** The classes found so far, checked one by one. */
    private static final class Discovery {
        private final Plugins plugins;
        private final Map<String, List<RoleInfo>> claims = new LinkedHashMap<>();

        Discovery(Plugins plugins) {
            this.plugins = plugins;
        }

        void consider(String className, String source, ClassLoader loader) {
            String what = "role class " + className + " in " + source;
            Class<?> type;
            try {
                type = Class.forName(className, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                plugins.warn("cannot load " + what + ": " + Plugins.describe(e) + "; skipped");
                return;
            }
            if (type.getClassLoader() != loader && loader != plugins.parent()) {
                plugins.warn(what + " is also on cgrender's class path, which wins; the plugin's is skipped");
                return;
            }
            if (type.isInterface()) {
                plugins.warn(what + " is not a class; skipped");
                return;
            }
            if (Modifier.isAbstract(type.getModifiers())) {
                plugins.warn(what + " is abstract; only concrete classes can be roles; skipped");
                return;
            }
            if (!Box.class.isAssignableFrom(type)) {
                plugins.warn(what + " does not extend " + Box.class.getName() + "; skipped");
                return;
            }
            if (!Modifier.isPublic(type.getModifiers())) {
                plugins.warn(what + " is not public; skipped");
                return;
            }
            try {
                type.getConstructor();
            } catch (NoSuchMethodException e) {
                plugins.warn(what + " has no public no-arg constructor; skipped");
                return;
            }
            try {
                Class.forName(className, true, loader);
            } catch (LinkageError e) {
                plugins.warn("cannot load " + what + ": " + Plugins.describe(e) + "; skipped");
                return;
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("loaded a moment ago: " + className, e);
            }
            Role role = type.getAnnotation(Role.class);
            if (role == null) {
                plugins.warn(what + " has no @Role any more; skipped");
                return;
            }
            if (!ROLE_NAME.matcher(role.name()).matches()) {
                plugins.warn(what + " names its role '" + role.name() + "'; a role name is lower-case letters and"
                        + " digits in words joined by '-'; skipped");
                return;
            }
            String description = role.description().replaceAll("\\s+", " ").strip();
            claims.computeIfAbsent(role.name(), name -> new ArrayList<>())
                    .add(new RoleInfo(role.name(), description, type.asSubclass(Box.class), source));
        }

        Roles roles() {
            List<String> conflicts = new ArrayList<>();
            Map<String, RoleInfo> byName = new TreeMap<>();
            claims.forEach((name, infos) -> {
                if (infos.size() == 1) {
                    byName.put(name, infos.get(0));
                    return;
                }
                List<String> claimants = infos.stream().map(i -> i.type().getName() + " in " + i.source()).toList();
                conflicts.add("role '" + name + "' is claimed by " + infos.size() + " classes: "
                        + String.join(" and ", claimants));
            });
            if (!conflicts.isEmpty()) {
                throw new UsageException(String.join("; ", conflicts)
                        + "; remove all but one of them from the plugin path");
            }
            return new Roles(byName);
        }
    }
}
