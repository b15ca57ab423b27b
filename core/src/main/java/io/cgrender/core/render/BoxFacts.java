package io.cgrender.core.render;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.sync.SyncRider;

import java.util.function.Consumer;

/**
 * What a render needs to know of its box, its home directory and its OpenSCAD version: asked in the command that syncs
 * the render's files ({@link #asked}).
 * <p>
 * Starting OpenSCAD to ask its version would take most of that command's time, so the box keeps the answer in
 * {@value #VERSION_FILE} (under its home) and gives it again while the file is newer than the {@code openscad} it
 * describes; an upgrade installs a newer binary, which is asked again. Only an answer that names OpenSCAD is kept.
 */
record BoxFacts(String home, String openscadVersion) {

    /** Where the box keeps its OpenSCAD's version, relative to its home. */
    static final String VERSION_FILE = ".cgrender/openscad-version";

    static final String COMMAND = "echo \"$HOME\"; f=" + VERSION_FILE + "; b=\"$(command -v openscad)\"; "
            + "if [ -n \"$b\" ] && [ -s \"$f\" ] && [ \"$f\" -nt \"$b\" ] && read -r v < \"$f\"; then "
            + "printf '%s\\n' \"$v\"; "
            + "else v=\"$(openscad --version 2>&1 | tail -n 1)\"; printf '%s\\n' \"$v\"; "
            + "case \"$v\" in *OpenSCAD*) mkdir -p .cgrender && printf '%s\\n' \"$v\" > \"$f.$$\" "
            + "&& mv -f \"$f.$$\" \"$f\";; esac; fi";

    /** Asks in a sync's own command, before it changes anything, and hands the facts to {@code then}. */
    static Asked asked(String hostId, Consumer<BoxFacts> then) {
        return new Asked(hostId, then);
    }

    private static BoxFacts parse(String hostId, String printed) {
        String[] lines = printed.strip().split("\n");
        if (lines.length < 2 || !lines[1].contains("OpenSCAD")) {
            throw new CgrenderException("the box " + hostId + " has no working openscad ("
                    + String.join(" ", lines).strip() + "); recreate it").fix("cgrender terminate " + hostId
                    + " && cgrender create openscad-ubuntu-box");
        }
        return new BoxFacts(lines[0].strip(), lines[1].strip());
    }

    /** The facts, asked as a sync's {@link SyncRider#first first} script; {@code then} may call the sync off. */
    static final class Asked implements SyncRider {
        private final String hostId;
        private final Consumer<BoxFacts> then;
        private BoxFacts facts;

        private Asked(String hostId, Consumer<BoxFacts> then) {
            this.hostId = hostId;
            this.then = then;
        }

        @Override
        public String first() {
            return COMMAND;
        }

        @Override
        public void firstDone(int exitCode, String printed) {
            facts = parse(hostId, printed);
            then.accept(facts);
        }

        /** The facts the sync brought. */
        BoxFacts get() {
            if (facts == null) {
                throw new IllegalStateException("no sync has asked the box " + hostId + " yet");
            }
            return facts;
        }
    }
}
