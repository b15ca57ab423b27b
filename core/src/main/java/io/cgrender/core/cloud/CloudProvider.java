package io.cgrender.core.cloud;

/**
 * A cloud provider, found with {@link java.util.ServiceLoader} ({@code META-INF/services}). Opening must be cheap
 * and launch nothing; credentials and regions are checked here so a misconfiguration fails before any work.
 */
public interface CloudProvider {

    /** The name used with {@code --cloud}, e.g. {@code local}. */
    String name();

    /** One line for help output. */
    String description();

    Cloud open(CloudContext context);
}
