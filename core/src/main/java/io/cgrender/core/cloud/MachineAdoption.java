package io.cgrender.core.cloud;

import io.cgrender.core.ui.Progress;

import java.time.Duration;

/**
 * Optional capability of a cloud ({@link Cloud#adoption()}): taking a machine that cgrender did not launch (say, an
 * EC2 instance made by hand) into a namespace as a box of a role. An adopted machine is the user's: a failed adoption
 * hands it back ({@link #release}) instead of terminating it.
 */
public interface MachineAdoption {

    /**
     * Checks that {@code id} exists and belongs to no other namespace, puts {@code spec}'s tags on it and starts it if
     * it is stopped; returns it once it runs.
     *
     * @throws io.cgrender.core.UsageException if there is no such machine, or it belongs to another namespace
     */
    Machine adopt(String id, LaunchSpec spec, Duration timeout, Progress progress);

    /** Undoes {@link #adopt} after a failure: removes cgrender's tags, leaves the machine as it is. Idempotent. */
    void release(String id);
}
