package io.cgrender.core.ui;

/**
 * Where a command's user interrupts it (Ctrl-C, SIGTERM, a closed terminal): the hooks added here run when that
 * happens, all at once, and the command ends once they have run. A command run by its own JVM ({@link #JVM}) is
 * interrupted through the JVM's shutdown hooks; one run for a front end by a long-lived process through that front
 * end, which must not end every other command with it.
 * <p>
 * Same contract as {@link Runtime#addShutdownHook}: a hook is an unstarted thread; {@link #remove} throws
 * {@link IllegalStateException} while the hooks are running (and so may {@link #add}).
 */
public interface Interrupts {

    /** The JVM's shutdown hooks: the process is the command. */
    Interrupts JVM = new Interrupts() {
        @Override
        public void add(Thread hook) {
            Runtime.getRuntime().addShutdownHook(hook);
        }

        @Override
        public void remove(Thread hook) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    };

    /** Runs {@code hook} if the command is interrupted before it is removed. */
    void add(Thread hook);

    /** Forgets {@code hook}; throws {@link IllegalStateException} if the hooks are already running. */
    void remove(Thread hook);
}
