package io.cgrender.core.box;

import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.SshConnector;
import io.cgrender.core.ui.Console;

/**
 * Everything a box's lifecycle works with: the cloud, the namespace and its key, pinned host keys, the SSH
 * connector, settings and the console. One per command invocation.
 */
public record BoxEnvironment(Cloud cloud, Namespace namespace, NamespaceKey key, KnownHosts knownHosts,
                             SshConnector ssh, Settings settings, Console console) {
}
