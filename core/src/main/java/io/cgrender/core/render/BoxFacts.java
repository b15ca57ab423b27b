package io.cgrender.core.render;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.time.Duration;

/**
 * What a render needs to know of its box, asked in one command: its home directory and its OpenSCAD version.
 * <p>
 * Starting OpenSCAD to ask its version takes most of that command's time, so the box keeps the answer in
 * {@value #VERSION_FILE} (under its home) and gives it again while the file is newer than the {@code openscad} it
 * describes; an upgrade installs a newer binary, which is asked again. Only an answer that names OpenSCAD is kept.
 */
record BoxFacts(String home, String openscadVersion) {

    /** Where the box keeps its OpenSCAD's version, relative to its home. */
    static final String VERSION_FILE = ".cgrender/openscad-version";

    static final String COMMAND = "echo \"$HOME\"; f=" + VERSION_FILE + "; b=\"$(command -v openscad)\"; "
            + "if [ -n \"$b\" ] && [ -s \"$f\" ] && [ \"$f\" -nt \"$b\" ]; then cat \"$f\"; "
            + "else v=\"$(openscad --version 2>&1 | tail -n 1)\"; printf '%s\\n' \"$v\"; "
            + "case \"$v\" in *OpenSCAD*) mkdir -p .cgrender && printf '%s\\n' \"$v\" > \"$f.$$\" "
            + "&& mv -f \"$f.$$\" \"$f\";; esac; fi";

    static BoxFacts of(RemoteHost host, Duration timeout) {
        ExecResult r = host.exec(COMMAND, timeout);
        String[] lines = r.stdout().strip().split("\n");
        if (lines.length < 2 || !lines[1].contains("OpenSCAD")) {
            throw new CgrenderException("the box " + host.id() + " has no working openscad ("
                    + String.join(" ", lines).strip() + "); recreate it").fix("cgrender terminate " + host.id()
                    + " && cgrender create openscad-ubuntu-box");
        }
        return new BoxFacts(lines[0].strip(), lines[1].strip());
    }
}
