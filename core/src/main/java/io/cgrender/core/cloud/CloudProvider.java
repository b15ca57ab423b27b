package io.cgrender.core.cloud;

import io.cgrender.core.doctor.CheckList;
import io.cgrender.core.doctor.CheckTarget;

import java.util.Optional;

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

    /**
     * What {@code cgrender doctor} checks of this cloud: whatever a command would need of it (programs, credentials,
     * permissions, network), each check asking the way the real command does, changing nothing. The checks are made
     * without {@link #open opening} the cloud, which may itself be what fails (bad credentials, an unknown region):
     * each check catches its own failure, and one whose prerequisite failed is skipped.
     *
     * @param launch the box a render would launch, where cgrender knows it, for checks of launching one
     */
    default CheckList checks(CloudContext context, Optional<CheckTarget> launch) {
        return CheckList.none();
    }
}
