package io.cgrender.boxes;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What {@link PackageInstaller} needs to know of one package manager: its commands and how to read their output. */
interface PackageTool {

    /** E.g. "apt-get". */
    String name();

    /** A command printing, in a form {@link #installed} reads, which of {@code packages} are installed; exits 0. */
    String installedQuery(List<String> packages);

    /** The installed packages, from {@link #installedQuery}'s output. */
    Set<String> installed(String queryOutput);

    /** Refreshes the package lists, run with root's rights. */
    String refreshCommand();

    /** Exits 0 when the distribution's repositories offer {@code pkg}. */
    String offersCommand(String pkg);

    /** Installs {@code packages}, run with root's rights. */
    String installCommand(List<String> packages);

    /** The package an installation failed on, from its output, when the output names one. */
    Optional<String> failingPackage(String output);

    /** The first group of {@code pattern}'s first match in {@code text} that matched anything. */
    static Optional<String> firstMatch(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (m.find()) {
            for (int g = 1; g <= m.groupCount(); g++) {
                if (m.group(g) != null) {
                    return Optional.of(m.group(g));
                }
            }
        }
        return Optional.empty();
    }
}
