package io.cgrender.local;

import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.CloudProvider;
import io.cgrender.core.doctor.CheckList;
import io.cgrender.core.doctor.CheckTarget;

import java.util.Optional;

/** The embedded default cloud: boxes are SSH server processes on this machine (see {@link LocalCloud}). */
public final class LocalCloudProvider implements CloudProvider {

    @Override
    public String name() {
        return LocalCloud.NAME;
    }

    @Override
    public String description() {
        return "boxes on this machine: each one a local SSH server process on 127.0.0.1 (no account needed)";
    }

    @Override
    public Cloud open(CloudContext context) {
        return new LocalCloud(context);
    }

    /**
     * This machine's operating system (the render role must be of its package manager), openscad, ssh, rsync, and
     * root or passwordless sudo for a box's package work ({@link LocalChecks}).
     */
    @Override
    public CheckList checks(CloudContext context, Optional<CheckTarget> launch) {
        return LocalChecks.of(context, launch);
    }
}
