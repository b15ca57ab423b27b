package io.cgrender.core.cloud;

import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ui.Console;

/** What a provider gets to open a {@link Cloud}: configuration, state directories, the namespace and the console. */
public record CloudContext(Settings settings, Dirs dirs, Namespace namespace, Console console) {
}
