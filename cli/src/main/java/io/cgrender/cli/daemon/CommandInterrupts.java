package io.cgrender.cli.daemon;

import io.cgrender.core.ui.Interrupts;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The interrupts of one command the daemon runs: its front end's Ctrl-C, or the front end's going away. Like the
 * JVM's shutdown hooks, but for that command only: {@link #fire} starts every hook and waits for all of them.
 */
final class CommandInterrupts implements Interrupts {

    private final Set<Thread> hooks = new LinkedHashSet<>();
    private boolean fired;

    @Override
    public synchronized void add(Thread hook) {
        if (fired) {
            throw new IllegalStateException("the command is being interrupted");
        }
        hooks.add(hook);
    }

    @Override
    public synchronized void remove(Thread hook) {
        if (fired) {
            throw new IllegalStateException("the command is being interrupted");
        }
        hooks.remove(hook);
    }

    /** Runs the hooks, once, and returns when they have all ended. */
    void fire() throws InterruptedException {
        List<Thread> running;
        synchronized (this) {
            if (fired) {
                return;
            }
            fired = true;
            running = new ArrayList<>(hooks);
        }
        running.forEach(Thread::start);
        for (Thread hook : running) {
            hook.join();
        }
    }

    synchronized boolean fired() {
        return fired;
    }
}
