package io.cgrender.boxes;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** dnf and rpm, on Amazon Linux 2023 and Fedora-like distributions. */
final class DnfTool implements PackageTool {

    private static final Pattern FAILING_PACKAGE = Pattern.compile(
            "No match for argument: (\\S+)|Unable to find a match: (\\S+)|No package (\\S+) available");
    private static final String DNF = "dnf -y -q";

    @Override
    public String name() {
        return "dnf";
    }

    @Override
    public String installedQuery(List<String> packages) {
        // Installed packages print their name; the others "package … is not installed", which the reader ignores.
        return "rpm -q --qf '%{NAME}\\n' " + String.join(" ", packages) + " 2>/dev/null; true";
    }

    @Override
    public Set<String> installed(String queryOutput) {
        Set<String> installed = new LinkedHashSet<>();
        for (String line : queryOutput.split("\n")) {
            String name = line.trim();
            if (!name.isEmpty() && !name.contains(" ")) {
                installed.add(name);
            }
        }
        return installed;
    }

    @Override
    public String refreshCommand() {
        return DNF + " makecache";
    }

    @Override
    public String offersCommand(String pkg) {
        return "dnf -q list --available " + pkg + " > /dev/null 2>&1";
    }

    @Override
    public String installCommand(List<String> packages) {
        return DNF + " install " + String.join(" ", packages);
    }

    @Override
    public Optional<String> failingPackage(String output) {
        return PackageTool.firstMatch(FAILING_PACKAGE, output);
    }
}
