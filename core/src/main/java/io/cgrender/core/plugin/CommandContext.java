package io.cgrender.core.plugin;

import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.Roles;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ui.Console;

import java.nio.file.Path;

/**
 * What a {@link PluginCommand} works with during one invocation; each part is built on first use, so a command that
 * does not touch the cloud opens none.
 */
public interface CommandContext {

    /** Results go to {@code console().out()}, status and warnings to {@code console().err()}. */
    Console console();

    Settings settings();

    Dirs dirs();

    Namespace namespace();

    /** Built-in and plugin roles. */
    Roles roles();

    /** The cloud chosen with {@code --cloud} / {@code cgrender.cloud}, opened. */
    Cloud cloud();

    /** What a box's lifecycle methods need: cloud, namespace key, pinned host keys, SSH, settings, console. */
    BoxEnvironment environment();

    /** The directory relative paths on the command line are relative to. */
    Path cwd();
}
