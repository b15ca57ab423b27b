package io.cgrender.core.render;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;

import java.time.Duration;

/** What a render needs to know of its box, asked in one command: its home directory and its OpenSCAD version. */
record BoxFacts(String home, String openscadVersion) {

    static BoxFacts of(RemoteHost host, Duration timeout) {
        ExecResult r = host.exec("echo \"$HOME\"; openscad --version 2>&1 | tail -n 1", timeout);
        String[] lines = r.stdout().strip().split("\n");
        if (lines.length < 2 || !lines[1].contains("OpenSCAD")) {
            throw new CgrenderException("the box " + host.id() + " has no working openscad ("
                    + String.join(" ", lines).strip() + "); recreate it").fix("cgrender terminate " + host.id()
                    + " && cgrender create openscad-ubuntu-box");
        }
        return new BoxFacts(lines[0].strip(), lines[1].strip());
    }
}
