package io.cgrender.core.plugin;

import io.cgrender.core.CgrenderException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The plugin jars of one cgrender invocation, each loaded by its own class loader whose parent is cgrender's, so
 * that plugins see cgrender's API but not each other, and a broken jar never stops the others.
 * <p>
 * What plugins contribute is found in two ways: roles by scanning the packages a jar declares
 * ({@link io.cgrender.core.box.Roles}), and everything else — cloud providers, resolvers, commands — as
 * {@link java.util.ServiceLoader} services, through {@link #services} (which names the jar and class of a provider
 * that fails to load and goes on) or through {@link #classLoader()} for code that takes a class loader. While a
 * command runs, the CLI also makes {@link #classLoader()} the thread's context class loader.
 */
public final class Plugins implements AutoCloseable {

    /** The source of whatever comes with cgrender itself (or sits on its class path without a plugin manifest). */
    public static final String BUILT_IN = "built-in";

    /** A plugin jar and the class loader its classes come from. */
    public record Loaded(PluginJar jar, ClassLoader loader) {
    }

    /** A service provider and where it came from ({@link #BUILT_IN} or a jar path). */
    public record Found<S>(S provider, String source) {
    }

    private final ClassLoader parent;
    private final List<JarLoader> loaders;
    private final List<Loaded> loaded;
    private final ClassLoader all;
    private final Consumer<String> warn;
    private List<PluginJar> onClassPath;

    private Plugins(ClassLoader parent, List<JarLoader> loaders, Consumer<String> warn) {
        this.parent = parent;
        this.loaders = List.copyOf(loaders);
        List<Loaded> loaded = new ArrayList<>();
        for (JarLoader loader : loaders) {
            loaded.add(new Loaded(loader.jar, loader));
        }
        this.loaded = List.copyOf(loaded);
        this.all = loaders.isEmpty() ? parent : new AllPlugins(parent, this.loaders);
        this.warn = warn;
    }

    /** No plugin jars: only what is on cgrender's class path. Warnings are dropped. */
    public static Plugins builtIn() {
        return new Plugins(Plugins.class.getClassLoader(), List.of(), message -> {
        });
    }

    /**
     * Loads the plugin jars at {@code jars} (see {@link PluginPath}). A jar that is unreadable, declares no
     * packages or needs another plugin API is skipped with a warning naming it.
     *
     * @param parent cgrender's class loader, the parent of each plugin's
     * @param warn   receives one line per problem, now and whenever something of a plugin fails to load later
     */
    public static Plugins load(List<Path> jars, ClassLoader parent, Consumer<String> warn) {
        List<JarLoader> loaders = new ArrayList<>();
        for (Path path : jars) {
            try {
                loaders.add(new JarLoader(PluginJar.read(path), parent));
            } catch (PluginJar.Rejected e) {
                warn.accept(e.getMessage());
            }
        }
        return new Plugins(parent, loaders, warn);
    }

    /** The plugin jars in use, each with its class loader, in plugin-path order. */
    public List<Loaded> loaded() {
        return loaded;
    }

    /** cgrender's own class loader, which the built-in roles and services come from. */
    public ClassLoader parent() {
        return parent;
    }

    /**
     * One class loader that sees cgrender and every plugin (each plugin's classes still come from that plugin's own
     * loader): for {@code ServiceLoader.load(type, loader)}, resources such as {@code reference.conf}, and the
     * thread's context class loader.
     */
    public ClassLoader classLoader() {
        return all;
    }

    /** Reports a problem with a plugin, as one line. */
    public void warn(String message) {
        warn.accept(message);
    }

    /**
     * Jars on cgrender's own class path (e.g. dropped into the distribution's {@code lib/}) whose manifest declares
     * them plugins. Their classes come from cgrender's class loader; their roles are attributed to the jar.
     */
    public List<PluginJar> onClassPath() {
        if (onClassPath == null) {
            List<PluginJar> found = new ArrayList<>();
            try {
                for (URL url : Collections.list(parent.getResources(JarFile.MANIFEST_NAME))) {
                    jarOf(url).ifPresent(jar -> {
                        try (InputStream in = url.openStream()) {
                            PluginJar.fromManifest(jar, new Manifest(in)).ifPresent(found::add);
                        } catch (PluginJar.Rejected e) {
                            warn(e.getMessage());
                        } catch (IOException e) {
                            warn("cannot read the manifest of " + jar + " on cgrender's class path: " + e.getMessage());
                        }
                    });
                }
            } catch (IOException e) {
                throw new CgrenderException("cannot list the manifests on cgrender's class path: " + e.getMessage(), e);
            }
            onClassPath = List.copyOf(found);
        }
        return onClassPath;
    }

    /**
     * The providers of {@code service}: cgrender's own ({@code META-INF/services} on its class path), then each
     * plugin's, in plugin-path order. A provider that cannot be loaded or instantiated is skipped with a warning
     * naming its jar and class.
     */
    public <S> List<Found<S>> services(Class<S> service) {
        List<Found<S>> found = new ArrayList<>();
        Iterator<S> builtIn = ServiceLoader.load(service, parent).iterator();
        while (true) {
            try {
                if (!builtIn.hasNext()) {
                    break;
                }
                found.add(new Found<>(builtIn.next(), BUILT_IN));
            } catch (ServiceConfigurationError e) {
                warn("built-in " + service.getSimpleName() + ": " + e.getMessage() + "; skipped");
            }
        }
        for (JarLoader jar : loaders) {
            for (String className : jar.providerNames(service, this::warn)) {
                String what = service.getSimpleName() + " " + className + " of plugin " + jar.jar.path();
                try {
                    Class<?> type = Class.forName(className, true, jar);
                    if (type.getClassLoader() != jar) {
                        warn(what + " is also on cgrender's class path, which wins; the plugin's is skipped");
                    } else if (!service.isAssignableFrom(type)) {
                        warn(what + " does not implement " + service.getName() + "; skipped");
                    } else {
                        found.add(new Found<>(service.cast(type.getConstructor().newInstance()),
                                jar.jar.path().toString()));
                    }
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    warn("cannot load " + what + ": " + describe(e) + "; skipped");
                }
            }
        }
        return found;
    }

    /** Why a class could not be loaded, initialized or instantiated, in words. */
    public static String describe(Throwable failure) {
        Throwable cause = failure.getCause();
        if (failure instanceof ExceptionInInitializerError) {
            return "its static initializer threw " + (cause == null ? "an exception" : brief(cause));
        }
        if (failure instanceof java.lang.reflect.InvocationTargetException) {
            return "its constructor threw " + (cause == null ? "an exception" : brief(cause));
        }
        if (failure instanceof NoClassDefFoundError) {
            String message = String.valueOf(failure.getMessage());
            if (message.startsWith("Could not initialize class")) {
                return "its static initializer failed earlier (" + message + ")";
            }
            return "it needs class " + message.replace('/', '.') + ", which neither the plugin nor cgrender has";
        }
        if (failure instanceof ClassNotFoundException) {
            return "class " + failure.getMessage() + " is not in the jar";
        }
        if (failure instanceof UnsupportedClassVersionError) {
            return "it was compiled for a newer Java than this one (" + failure.getMessage() + ")";
        }
        if (failure instanceof NoSuchMethodException) {
            return "it has no public no-arg constructor";
        }
        if (failure instanceof IllegalAccessException) {
            return "it or its no-arg constructor is not public";
        }
        if (failure instanceof InstantiationException) {
            return "it is abstract";
        }
        return brief(failure);
    }

    private static String brief(Throwable t) {
        return t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static java.util.Optional<Path> jarOf(URL manifest) {
        String spec = manifest.toString();
        int bang = spec.indexOf("!/");
        if (!spec.startsWith("jar:file:") || bang < 0) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(Path.of(new URI(spec.substring("jar:".length(), bang))));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** Closes the plugins' jar files. Classes already loaded keep working; nothing new can be loaded. */
    @Override
    public void close() {
        for (JarLoader loader : loaders) {
            try {
                loader.close();
            } catch (IOException e) {
                warn("cannot close plugin " + loader.jar.path() + ": " + e.getMessage());
            }
        }
    }

    /** The class loader of one plugin jar. */
    private static final class JarLoader extends URLClassLoader {
        static {
            registerAsParallelCapable();
        }

        final PluginJar jar;

        JarLoader(PluginJar jar, ClassLoader parent) {
            super("plugin " + jar.path().getFileName(), new URL[] {url(jar.path())}, parent);
            this.jar = jar;
        }

        private static URL url(Path path) {
            try {
                return path.toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException(path.toString(), e);
            }
        }

        /** A class of this jar (never of the parent), defining it here if need be; {@code null} if it has none. */
        Class<?> ownClass(String name) {
            synchronized (getClassLoadingLock(name)) {
                Class<?> type = findLoadedClass(name);
                if (type != null) {
                    return type;
                }
                try {
                    return findClass(name);
                } catch (ClassNotFoundException e) {
                    return null;
                }
            }
        }

        URL ownResource(String name) {
            return findResource(name);
        }

        Enumeration<URL> ownResources(String name) throws IOException {
            return findResources(name);
        }

        /** The class names this jar lists in {@code META-INF/services/<service>}. */
        List<String> providerNames(Class<?> service, Consumer<String> warn) {
            Set<String> names = new LinkedHashSet<>();
            try {
                for (URL url : Collections.list(ownResources("META-INF/services/" + service.getName()))) {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(url.openStream(),
                            StandardCharsets.UTF_8))) {
                        in.lines().map(line -> line.replaceFirst("#.*", "").strip())
                                .filter(line -> !line.isEmpty())
                                .forEach(names::add);
                    }
                }
            } catch (IOException | RuntimeException e) {
                warn.accept("cannot read the " + service.getSimpleName() + " services of plugin " + jar.path() + ": "
                        + e.getMessage() + "; skipped");
            }
            return List.copyOf(names);
        }
    }

    /** The union of the plugins' class loaders, behind cgrender's: see {@link #classLoader()}. */
    private static final class AllPlugins extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final List<JarLoader> jars;

        AllPlugins(ClassLoader parent, List<JarLoader> jars) {
            super("cgrender plugins", parent);
            this.jars = jars;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            for (JarLoader jar : jars) {
                Class<?> type = jar.ownClass(name);
                if (type != null) {
                    return type;
                }
            }
            throw new ClassNotFoundException(name);
        }

        @Override
        protected URL findResource(String name) {
            for (JarLoader jar : jars) {
                URL url = jar.ownResource(name);
                if (url != null) {
                    return url;
                }
            }
            return null;
        }

        @Override
        protected Enumeration<URL> findResources(String name) throws IOException {
            List<URL> urls = new ArrayList<>();
            for (JarLoader jar : jars) {
                urls.addAll(Collections.list(jar.ownResources(name)));
            }
            return Collections.enumeration(urls);
        }
    }
}
