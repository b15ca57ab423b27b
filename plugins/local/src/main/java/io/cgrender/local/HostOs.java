package io.cgrender.local;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.MachineSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The operating system of this machine, which every local box is: its name and package manager, from
 * {@code /etc/os-release} ({@code PRETTY_NAME}, {@code ID}, {@code ID_LIKE}). A role written for another package
 * manager cannot be set up here, so the local cloud refuses it before it launches anything.
 *
 * @param name           e.g. "Debian GNU/Linux 12 (bookworm)"
 * @param packageManager apt on Debian and its derivatives, dnf on Fedora, RHEL and Amazon Linux; empty otherwise
 */
record HostOs(String name, Optional<MachineSpec.PackageManager> packageManager) {

    static final Path OS_RELEASE = Path.of("/etc/os-release");
    private static final List<String> APT_IDS = List.of("debian", "ubuntu");
    private static final List<String> DNF_IDS = List.of("fedora", "rhel", "centos", "amzn");

    static HostOs current() {
        return read(OS_RELEASE);
    }

    static HostOs read(Path osRelease) {
        Map<String, String> fields = new HashMap<>();
        try {
            for (String line : Files.readAllLines(osRelease)) {
                int eq = line.indexOf('=');
                if (eq > 0 && !line.startsWith("#")) {
                    fields.put(line.substring(0, eq).strip(), unquote(line.substring(eq + 1).strip()));
                }
            }
        } catch (IOException e) {
            return new HostOs("an unknown system (no readable " + osRelease + ")", Optional.empty());
        }
        String name = fields.getOrDefault("PRETTY_NAME", fields.getOrDefault("NAME", "an unknown system"));
        String ids = (fields.getOrDefault("ID", "") + " " + fields.getOrDefault("ID_LIKE", ""))
                .toLowerCase(Locale.ROOT);
        for (String id : ids.split("\\s+")) {
            if (APT_IDS.contains(id)) {
                return new HostOs(name, Optional.of(MachineSpec.PackageManager.APT));
            }
            if (DNF_IDS.contains(id)) {
                return new HostOs(name, Optional.of(MachineSpec.PackageManager.DNF));
            }
        }
        return new HostOs(name, Optional.empty());
    }

    /** Refuses, before anything is launched, a role whose setup is written for another package manager. */
    void requireRunnable(String role, MachineSpec spec) {
        MachineSpec.PackageManager wanted = spec.os().packageManager();
        if (packageManager.equals(Optional.of(wanted))) {
            return;
        }
        String here = packageManager.map(p -> " (" + word(p) + ")").orElse(", which has neither apt nor dnf");
        throw new UsageException(role + " is written for " + spec.os().displayName() + " (" + word(wanted)
                + "), but a local box is this machine, which runs " + name + here)
                .fix("run it on a cloud of its own, e.g. cgrender --cloud ec2 create " + role
                        + ", or pick a role for this machine: cgrender list-roles");
    }

    private static String word(MachineSpec.PackageManager manager) {
        return manager.name().toLowerCase(Locale.ROOT);
    }

    private static String unquote(String value) {
        return value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                || value.startsWith("'") && value.endsWith("'")) ? value.substring(1, value.length() - 1) : value;
    }
}
