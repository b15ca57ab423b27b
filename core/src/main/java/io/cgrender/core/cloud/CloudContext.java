package io.cgrender.core.cloud;

import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.plugin.Plugins;
import io.cgrender.core.ui.Console;

/**
 * What a provider gets to open a {@link Cloud}: configuration, state directories, the namespace, the console, and
 * the plugins of this invocation — a provider with a seam of its own (such as how instances are reached) finds
 * the implementations plugins contribute with {@code plugins.services(Seam.class)}.
 */
public record CloudContext(Settings settings, Dirs dirs, Namespace namespace, Console console, Plugins plugins) {

    /** A context with no plugin jars. */
    public CloudContext(Settings settings, Dirs dirs, Namespace namespace, Console console) {
        this(settings, dirs, namespace, console, Plugins.builtIn());
    }
}
