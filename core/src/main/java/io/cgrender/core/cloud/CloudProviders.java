package io.cgrender.core.cloud;

import io.cgrender.core.UsageException;
import io.cgrender.core.plugin.Plugins;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The cloud providers of cgrender and its plugins, by name. */
public final class CloudProviders {

    private final Map<String, CloudProvider> byName = new TreeMap<>();

    private CloudProviders() {
    }

    /** The providers registered in {@code META-INF/services} on {@code loader}'s class path. */
    public static CloudProviders discover(ClassLoader loader) {
        CloudProviders providers = new CloudProviders();
        Map<String, List<String>> claims = new LinkedHashMap<>();
        for (CloudProvider provider : ServiceLoader.load(CloudProvider.class, loader)) {
            providers.add(provider, provider.getClass().getName(), claims);
        }
        providers.refuseConflicts(claims);
        return providers;
    }

    /**
     * cgrender's providers and those the plugins contribute; a provider that fails to load is skipped with a
     * warning, two providers of one name are an error naming both.
     */
    public static CloudProviders discover(Plugins plugins) {
        CloudProviders providers = new CloudProviders();
        Map<String, List<String>> claims = new LinkedHashMap<>();
        for (Plugins.Found<CloudProvider> found : plugins.services(CloudProvider.class)) {
            providers.add(found.provider(), found.provider().getClass().getName() + " in " + found.source(), claims);
        }
        providers.refuseConflicts(claims);
        return providers;
    }

    private void add(CloudProvider provider, String where, Map<String, List<String>> claims) {
        CloudProvider previous = byName.get(provider.name());
        if (previous != null && previous.getClass() == provider.getClass()) {
            return; // one class registered twice on the class path
        }
        claims.computeIfAbsent(provider.name(), name -> new ArrayList<>()).add(where);
        byName.putIfAbsent(provider.name(), provider);
    }

    private void refuseConflicts(Map<String, List<String>> claims) {
        claims.forEach((name, claimants) -> {
            if (claimants.size() > 1) {
                throw new UsageException("cloud '" + name + "' is provided by " + claimants.size() + " classes: "
                        + String.join(" and ", claimants) + "; remove all but one of them from the plugin path");
            }
        });
    }

    public CloudProvider get(String name) {
        CloudProvider provider = byName.get(name);
        if (provider == null) {
            throw new UsageException("unknown cloud '" + name + "'; known clouds: " + String.join(", ", byName.keySet())
                    + " (set with --cloud or cgrender.cloud)");
        }
        return provider;
    }

    public Map<String, CloudProvider> all() {
        return Map.copyOf(byName);
    }
}
