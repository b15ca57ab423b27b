package io.cgrender.core.sync;

/**
 * Work of the caller's that rides in a sync's own command on the box, so that it costs no command (no round trips,
 * no process start) of its own: a script that runs before the sync looks at the box, whose output the caller sees
 * before anything there changes and which can still call the sync off; and a script that runs once the sync is
 * complete, e.g. starting the job the files were synced for.
 */
public interface SyncRider {

    /** The exit code {@link #lastDone} gets when the sync's command ended before the last script said how it ended. */
    int UNKNOWN = -1;

    /** Nothing rides along. */
    SyncRider NONE = new SyncRider() {
    };

    /**
     * A script to run first, in the box's home directory, before the sync reads the directory; empty for none. What
     * it prints goes to {@link #firstDone}; it must not print lines that begin with {@code ::} or {@code ===}.
     */
    default String first() {
        return "";
    }

    /**
     * What {@link #first} printed and its exit code, before the sync changed anything. Throwing calls the sync off:
     * the exception is the sync's, and nothing of it stays on the box (the job's copy goes).
     */
    default void firstDone(int exitCode, String printed) {
    }

    /**
     * A script to run once the sync is complete (and the job's copy of the files kept), in the box's home directory,
     * outside the sync's lock (what it leaves running does not hold the directory); empty for none. Asked for only
     * then, so anything it records exists only if the sync got that far.
     */
    default String last() {
        return "";
    }

    /**
     * What {@link #last} printed and its exit code; {@link #UNKNOWN} (and nothing printed) if the sync's command ended
     * or was cut off before the script said how it ended (the sync then fails).
     */
    default void lastDone(int exitCode, String printed) {
    }

    /** A rider with {@code before}'s first script and {@code after}'s last one. */
    static SyncRider of(SyncRider before, SyncRider after) {
        return new SyncRider() {
            @Override
            public String first() {
                return before.first();
            }

            @Override
            public void firstDone(int exitCode, String printed) {
                before.firstDone(exitCode, printed);
            }

            @Override
            public String last() {
                return after.last();
            }

            @Override
            public void lastDone(int exitCode, String printed) {
                after.lastDone(exitCode, printed);
            }
        };
    }
}
