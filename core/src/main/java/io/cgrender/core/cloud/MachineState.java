package io.cgrender.core.cloud;

/** What a cloud says about a machine. {@link #DEAD} is a machine that should be running but is not answering. */
public enum MachineState {
    PENDING, RUNNING, STOPPING, STOPPED, TERMINATED,
    /** The cloud believes it runs, but it crashed or vanished (e.g. a local box host process that died). */
    DEAD;

    public boolean isLive() {
        return this == PENDING || this == RUNNING;
    }

    public String label() {
        return name().toLowerCase();
    }
}
