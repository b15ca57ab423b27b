package io.cgrender.core.cloud;

import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.plugin.Plugins;
import io.cgrender.core.ui.Console;

import java.util.Map;

/**
 * What a provider gets to open a {@link Cloud}: configuration, state directories, the namespace, the console, the
 * environment of the invocation (a provider reads credentials and the like from {@code env}, never from
 * {@link System#getenv()}, so that an in-process invocation with its own environment is honoured), and the plugins
 * of this invocation — a provider with a seam of its own (such as how instances are reached) finds the
 * implementations plugins contribute with {@code plugins.services(Seam.class)}.
 */
public record CloudContext(Settings settings, Dirs dirs, Namespace namespace, Console console,
                           Map<String, String> env, Plugins plugins) {

    public CloudContext {
        env = Map.copyOf(env);
    }

    /** A context with no plugin jars. */
    public CloudContext(Settings settings, Dirs dirs, Namespace namespace, Console console, Map<String, String> env) {
        this(settings, dirs, namespace, console, env, Plugins.builtIn());
    }

    /** A context with this process's environment and no plugin jars. */
    public CloudContext(Settings settings, Dirs dirs, Namespace namespace, Console console) {
        this(settings, dirs, namespace, console, System.getenv(), Plugins.builtIn());
    }
}
