package io.cgrender.core.cloud;

import io.cgrender.core.UsageException;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The cloud providers on the classpath, by name. */
public final class CloudProviders {

    private final Map<String, CloudProvider> byName = new TreeMap<>();

    private CloudProviders() {
    }

    public static CloudProviders discover(ClassLoader loader) {
        CloudProviders providers = new CloudProviders();
        for (CloudProvider provider : ServiceLoader.load(CloudProvider.class, loader)) {
            CloudProvider previous = providers.byName.putIfAbsent(provider.name(), provider);
            if (previous != null && previous.getClass() != provider.getClass()) {
                throw new IllegalStateException("two cloud providers are named '" + provider.name() + "': "
                        + previous.getClass().getName() + " and " + provider.getClass().getName());
            }
        }
        return providers;
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
