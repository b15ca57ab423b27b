package io.cgrender.boxes;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.PackageManagerBox;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Heartbeat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A box on an apt-based distribution (Ubuntu LTS on clouds; the local cloud runs on this machine's Debian or
 * Ubuntu). Installs only the packages that are missing, so setting up a box that is already set up does no
 * package work at all; uses {@code sudo} when not root; retries {@code apt-get update} once.
 * <p>
 * Roles list their packages in {@link #listPackagesToInstall()} (required) and {@link #listOptionalPackages()}
 * (installed where the distribution offers them, skipped with a warning where it does not).
 */
public abstract class UbuntuBox extends PackageManagerBox {

    private static final int TAIL_LINES = 12;
    private static final Pattern FAILING_PACKAGE = Pattern.compile(
            "Unable to locate package (\\S+)|Package '?([^' ]+)'? has no installation candidate"
                    + "|Errors were encountered while processing:\\s+(\\S+)|dpkg: error processing package (\\S+)");
    /** apt waits this long for another apt (e.g. unattended-upgrades on a fresh cloud VM) to release its lock. */
    private static final String APT = "DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300";

    @Override
    public MachineSpec machineSpec() {
        return MachineSpec.ubuntu(2, 4, 16, "c6i.large");
    }

    /** Packages installed when available and skipped with a warning when the distribution does not have them. */
    protected List<String> listOptionalPackages() {
        return List.of();
    }

    @Override
    protected final void installPackages(RemoteHost host, List<String> packages) {
        Set<String> required = new LinkedHashSet<>(packages);
        Set<String> optional = new LinkedHashSet<>(listOptionalPackages());
        optional.removeAll(required);
        Set<String> all = new LinkedHashSet<>(required);
        all.addAll(optional);
        List<String> missing = missing(host, all);
        if (missing.isEmpty()) {
            console().status("packages already installed: " + String.join(" ", all));
            return;
        }
        String sudo = sudo(host);
        aptGetUpdate(host, sudo);
        List<String> toInstall = new ArrayList<>();
        for (String pkg : missing) {
            if (optional.contains(pkg) && !available(host, pkg)) {
                console().warn("package " + pkg + " is not offered by this distribution; skipping it");
            } else {
                toInstall.add(pkg);
            }
        }
        if (toInstall.isEmpty()) {
            return;
        }
        console().status("installing " + String.join(" ", toInstall));
        Tail tail = new Tail(console().isVerbose() ? console().err() : null);
        ExecResult result = aptGet(host, sudo + APT + " install -y " + String.join(" ", toInstall),
                "installing packages", tail);
        if (!result.succeeded()) {
            String output = tail.text();
            throw new CgrenderException("apt-get install failed (exit " + result.exitCode() + ")"
                    + failingPackage(output).map(p -> " on package " + p).orElse(" for " + String.join(" ", toInstall))
                    + "; last lines of its output:\n" + indent(tail.lastLines(TAIL_LINES)));
        }
    }

    /** The packages of {@code wanted} that dpkg does not report as installed. */
    private List<String> missing(RemoteHost host, Set<String> wanted) {
        ExecResult result = host.exec("dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' "
                + String.join(" ", wanted) + " 2>/dev/null; true", commandTimeout());
        Set<String> installed = new LinkedHashSet<>();
        for (String line : result.stdout().split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2 && fields[1].startsWith("ii")) {
                installed.add(fields[0]);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String pkg : wanted) {
            if (!installed.contains(pkg)) {
                missing.add(pkg);
            }
        }
        return missing;
    }

    /** {@code ""} as root, {@code "sudo -n "} otherwise; fails clearly when sudo would ask for a password. */
    protected final String sudo(RemoteHost host) {
        ExecResult id = host.exec("id -u; id -un", commandTimeout());
        String[] lines = id.stdout().trim().split("\n");
        if (lines.length > 0 && lines[0].trim().equals("0")) {
            return "";
        }
        String user = lines.length > 1 ? lines[1].trim() : "the login user";
        if (!host.exec("sudo -n true", commandTimeout()).succeeded()) {
            throw new CgrenderException("setting up " + role() + " needs root to install packages, and " + user
                    + " cannot use sudo without a password; allow passwordless sudo for " + user + " or log in as"
                    + " root");
        }
        return "sudo -n ";
    }

    private void aptGetUpdate(RemoteHost host, String sudo) {
        console().status("updating package lists");
        for (int attempt = 1; ; attempt++) {
            Tail tail = new Tail(console().isVerbose() ? console().err() : null);
            ExecResult result = aptGet(host, sudo + APT + " update", "updating package lists", tail);
            if (result.succeeded()) {
                return;
            }
            if (attempt == 2) {
                throw new CgrenderException("apt-get update failed twice (exit " + result.exitCode()
                        + "); last lines of its output:\n" + indent(tail.lastLines(TAIL_LINES)));
            }
            console().warn("apt-get update failed (exit " + result.exitCode() + "); retrying once");
        }
    }

    /** Runs an apt-get command, showing its latest output line as progress while it runs. */
    private ExecResult aptGet(RemoteHost host, String command, String stage, Tail tail) {
        try (Heartbeat ignored = Heartbeat.start(console().progress(), stage, commandTimeout(), tail::lastLine)) {
            return host.exec(command, commandTimeout(), null, tail, tail);
        }
    }

    private boolean available(RemoteHost host, String pkg) {
        ExecResult result = host.exec("apt-cache policy " + pkg + " 2>/dev/null | grep -q 'Candidate: [^(]'",
                commandTimeout());
        return result.succeeded();
    }

    static Optional<String> failingPackage(String aptOutput) {
        Matcher m = FAILING_PACKAGE.matcher(aptOutput);
        if (!m.find()) {
            return Optional.empty();
        }
        for (int g = 1; g <= m.groupCount(); g++) {
            if (m.group(g) != null) {
                return Optional.of(m.group(g));
            }
        }
        return Optional.empty();
    }

    private static String indent(List<String> lines) {
        StringBuilder out = new StringBuilder();
        for (String line : lines) {
            out.append("  ").append(line).append('\n');
        }
        return out.toString().stripTrailing();
    }

    /** Keeps the last 64 KiB of a command's output, optionally echoing it to the console as it comes. */
    static final class Tail extends OutputStream {
        private static final int LIMIT = 64 * 1024;
        private final PrintWriter echo;
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Tail(PrintWriter echo) {
            this.echo = echo;
        }

        @Override
        public synchronized void write(int b) {
            pending.write(b);
            if (b == '\n') {
                flushPending();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        private void flushPending() {
            String chunk = pending.toString(StandardCharsets.UTF_8);
            pending.reset();
            text.append(chunk);
            if (text.length() > LIMIT) {
                text.delete(0, text.length() - LIMIT);
            }
            if (echo != null) {
                echo.print(chunk);
                echo.flush();
            }
        }

        synchronized String text() {
            flushPending();
            return text.toString();
        }

        /** The last complete line so far, shortened for a progress line. */
        synchronized String lastLine() {
            String done = text.toString().stripTrailing();
            String line = done.substring(done.lastIndexOf('\n') + 1).strip();
            return line.length() <= 80 ? line : line.substring(0, 77) + "...";
        }

        synchronized List<String> lastLines(int n) {
            String[] lines = text().split("\n");
            List<String> out = new ArrayList<>();
            for (int i = Math.max(0, lines.length - n); i < lines.length; i++) {
                if (!lines[i].isBlank()) {
                    out.add(lines[i]);
                }
            }
            return out;
        }
    }
}
