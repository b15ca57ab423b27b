package io.cgrender.boxes;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** apt and dpkg, on Debian and Ubuntu. */
final class AptTool implements PackageTool {

    private static final Pattern FAILING_PACKAGE = Pattern.compile(
            "Unable to locate package (\\S+)|Package '?([^' ]+)'? has no installation candidate"
                    + "|Errors were encountered while processing:\\s+(\\S+)|dpkg: error processing package (\\S+)");
    /** apt waits this long for another apt (e.g. unattended-upgrades on a fresh cloud VM) to release its lock. */
    private static final String APT = "DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300";

    @Override
    public String name() {
        return "apt-get";
    }

    @Override
    public String installedQuery(List<String> packages) {
        return "dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' " + String.join(" ", packages)
                + " 2>/dev/null; true";
    }

    @Override
    public Set<String> installed(String queryOutput) {
        Set<String> installed = new LinkedHashSet<>();
        for (String line : queryOutput.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2 && fields[1].startsWith("ii")) {
                installed.add(fields[0]);
            }
        }
        return installed;
    }

    @Override
    public String refreshCommand() {
        return APT + " update";
    }

    @Override
    public String offersCommand(String pkg) {
        return "apt-cache policy " + pkg + " 2>/dev/null | grep -q 'Candidate: [^(]'";
    }

    @Override
    public String installCommand(List<String> packages) {
        return APT + " install -y " + String.join(" ", packages);
    }

    @Override
    public Optional<String> failingPackage(String output) {
        return PackageTool.firstMatch(FAILING_PACKAGE, output);
    }
}
