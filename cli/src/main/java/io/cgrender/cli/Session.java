package io.cgrender.cli;

import io.cgrender.core.agent.BoxAgents;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.BoxResolver;
import io.cgrender.core.box.Roles;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.CloudProvider;
import io.cgrender.core.cloud.CloudProviders;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.job.JobRecords;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.plugin.CommandContext;
import io.cgrender.core.plugin.Plugins;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.render.DirectoryResultStore;
import io.cgrender.core.render.Renderer;
import io.cgrender.core.render.ResultStore;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ssh.SshConnector;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.sync.FileSync;
import io.cgrender.core.ui.Console;
import io.cgrender.core.CgrenderException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What one command invocation works with, each part built on first use so that a command touches only what it
 * needs ({@code list-roles} opens no cloud, {@code list} generates no key). Closed when the command ends.
 */
public final class Session implements CommandContext, AutoCloseable {

    private final GlobalOptions options;
    private final Invocation invocation;
    private final Plugins plugins;
    private final Console console;
    private final Dirs dirs;
    private final Map<String, Object> commandOverrides;
    private Settings settings;
    private Namespace namespace;
    private Roles roles;
    private Cloud cloud;
    private KnownHosts knownHosts;
    private NamespaceKey key;
    private SshConnector ssh;
    private final FileHashes hashes;

    /** @param commandOverrides configuration the command's own options set, by full path */
    public Session(GlobalOptions options, Invocation invocation, Plugins plugins, Console console,
                   Map<String, Object> commandOverrides) {
        this.options = options;
        this.invocation = invocation;
        this.plugins = plugins;
        this.console = console;
        this.commandOverrides = Map.copyOf(commandOverrides);
        this.dirs = invocation.dirs();
        // Hashes of the user's files outlive the command: an unchanged project is not read again by the next one.
        this.hashes = new FileHashes(invocation.cacheDir().resolve("hashes"));
    }

    @Override
    public Console console() {
        return console;
    }

    public GlobalOptions options() {
        return options;
    }

    public Invocation invocation() {
        return invocation;
    }

    /** The plugin jars of this invocation. */
    public Plugins plugins() {
        return plugins;
    }

    @Override
    public Dirs dirs() {
        return dirs;
    }

    @Override
    public Settings settings() {
        if (settings == null) {
            Map<String, Object> overrides = new LinkedHashMap<>();
            if (options.namespace() != null) {
                overrides.put(Settings.ROOT + ".namespace", options.namespace());
            }
            if (options.cloud() != null) {
                overrides.put(Settings.ROOT + ".cloud", options.cloud());
            }
            if (options.region() != null) {
                overrides.put(Settings.ROOT + ".aws.region", options.region());
            }
            if (options.profile() != null) {
                overrides.put(Settings.ROOT + ".aws.profile", options.profile());
            }
            overrides.putAll(commandOverrides);
            settings = Settings.load(dirs, Optional.ofNullable(options.configFile()).map(invocation.cwd()::resolve),
                    invocation.env(), overrides,
                    plugins.classLoader());
        }
        return settings;
    }

    @Override
    public Namespace namespace() {
        if (namespace == null) {
            String user = invocation.env().getOrDefault("USER", System.getProperty("user.name"));
            namespace = Namespace.parse(settings().namespace(), user);
        }
        return namespace;
    }

    @Override
    public Roles roles() {
        if (roles == null) {
            roles = Roles.discover(plugins, Optional.of(dirs.state().resolve("role-index")));
        }
        return roles;
    }

    @Override
    public Cloud cloud() {
        if (cloud == null) {
            cloud = cloudProvider().open(cloudContext());
        }
        return cloud;
    }

    /** The provider of the configured cloud ({@code --cloud}, {@code cgrender.cloud}). */
    public CloudProvider cloudProvider() {
        return CloudProviders.discover(plugins).get(settings().cloud());
    }

    /** What the configured cloud's provider is given to open the cloud (or to check it). */
    public CloudContext cloudContext() {
        return new CloudContext(settings(), dirs, namespace(), console, invocation.env(), plugins);
    }

    public ImageSupport images() {
        return cloud().images().orElseThrow(() -> new CgrenderException("the " + cloud().name()
                + " cloud does not support images"));
    }

    /** The namespace's registered keys, or a one-line error on a cloud that does not keep them. */
    public KeyRegistry keys() {
        return cloud().keys().orElseThrow(() -> new CgrenderException("the " + cloud().name()
                + " cloud does not support registered keys"));
    }

    /** The agents of the namespace's boxes, or a one-line error on a cloud that has no channel to them. */
    public BoxAgents agents() {
        return cloud().agents().orElseThrow(() -> new CgrenderException("the " + cloud().name()
                + " cloud does not support box agents"));
    }

    public KnownHosts knownHosts() {
        if (knownHosts == null) {
            knownHosts = new KnownHosts(dirs.knownHosts());
        }
        return knownHosts;
    }

    public NamespaceKey key() {
        if (key == null) {
            key = NamespaceKey.loadOrCreate(dirs.keys(), namespace(), console.progress());
        }
        return key;
    }

    public SshConnector ssh() {
        if (ssh == null) {
            ssh = new MinaSshConnector(knownHosts());
        }
        return ssh;
    }

    @Override
    public BoxEnvironment environment() {
        return new BoxEnvironment(cloud(), namespace(), key(), knownHosts(), ssh(), settings(), console,
                dirs.state().resolve("claims"));
    }

    /** The jobs started from this client. */
    public JobRecords jobRecords() {
        return new JobRecords(dirs.state().resolve("jobs"));
    }

    /** Where render results are kept on a cloud without delivery of its own: a directory under the data home. */
    private ResultStore localResultStore() {
        return new DirectoryResultStore(dirs.data().resolve("results"));
    }

    /**
     * Renders with {@code box} (the render role's box), in this session's environment: on a cloud with delivery of
     * its own the boxes store results and mail by themselves, and the cache is the cloud's; otherwise the client
     * collects results into the local store.
     */
    public Renderer renderer(Box box) {
        return new Renderer(environment(), box, localResultStore(), cloud().delivery(), jobRecords(), fileSync(),
                hashes, new Renderer.OpenScadVersions(dirs.state().resolve("openscad-version")), cwd());
    }

    public FileSync fileSync() {
        return new FileSync(dirs.state().resolve("sync"), hashes);
    }

    @Override
    public Path cwd() {
        return invocation.cwd();
    }

    /** Resolves BOX (ROLE, ROLE#ORDINAL or id) in the namespace. */
    public Machine resolve(String boxRef) {
        return new BoxResolver(cloud(), namespace(), role -> roles().contains(role)).resolve(boxRef);
    }

    @Override
    public void close() {
        hashes.flush();
        RuntimeException failure = null;
        for (AutoCloseable closeable : new AutoCloseable[] {ssh, cloud}) {
            if (closeable == null) {
                continue;
            }
            try {
                closeable.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new CgrenderException("cannot close: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
