package io.cgrender.core.plugin;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * A jar that declares itself a cgrender plugin in its manifest:
 * <pre>
 *   Cgrender-Plugin-Packages: com.example.povray
 *   Cgrender-Api-Version: 1.0
 * </pre>
 * Only the listed packages (and their sub-packages) are scanned for roles, so a plugin that bundles libraries costs
 * no more to start than one that does not.
 *
 * @param title the jar's {@code Implementation-Title} and {@code -Version}, or its file name, for messages
 */
public record PluginJar(Path path, List<String> packages, ApiVersion apiVersion, String title) {

    public static final String PACKAGES = "Cgrender-Plugin-Packages";
    public static final String API_VERSION = "Cgrender-Api-Version";

    public PluginJar {
        packages = List.copyOf(packages);
    }

    /**
     * Reads the manifest of the jar at {@code path}.
     *
     * @throws Rejected when the file is not a readable jar, declares no packages, or was built for a plugin API this
     *                  cgrender does not support; the message says which and is meant for a one-line warning
     */
    public static PluginJar read(Path path) {
        Manifest manifest;
        try (JarFile jar = new JarFile(path.toFile())) {
            manifest = jar.getManifest();
        } catch (IOException | SecurityException e) {
            throw new Rejected("plugin " + path + " is not a readable jar (" + e.getMessage() + "); skipped");
        }
        Optional<PluginJar> plugin = manifest == null ? Optional.empty() : fromManifest(path, manifest);
        return plugin.orElseThrow(() -> new Rejected("plugin " + path + " has no " + PACKAGES + " entry in its"
                + " manifest, so it is not a cgrender plugin; skipped"));
    }

    /**
     * The plugin {@code manifest} declares, or empty when it declares no {@value #PACKAGES} (an ordinary jar).
     *
     * @throws Rejected as {@link #read}
     */
    public static Optional<PluginJar> fromManifest(Path path, Manifest manifest) {
        Attributes main = manifest.getMainAttributes();
        String declared = main.getValue(PACKAGES);
        if (declared == null) {
            return Optional.empty();
        }
        String title = title(path, main);
        List<String> packages = Arrays.stream(declared.split("[,\\s]+")).filter(p -> !p.isEmpty()).toList();
        if (packages.isEmpty()) {
            throw new Rejected("plugin " + title + " lists no packages in " + PACKAGES + "; skipped");
        }
        for (String p : packages) {
            if (!isPackageName(p)) {
                throw new Rejected("plugin " + title + " lists '" + p + "' in " + PACKAGES
                        + ", which is not a Java package name; skipped");
            }
        }
        String versionText = main.getValue(API_VERSION);
        if (versionText == null) {
            throw new Rejected("plugin " + title + " does not say which plugin API it was built for (no "
                    + API_VERSION + " in its manifest; this cgrender supports " + ApiVersion.CURRENT + "); skipped");
        }
        ApiVersion version = ApiVersion.parse(versionText).orElseThrow(() -> new Rejected("plugin " + title
                + " has " + API_VERSION + " '" + versionText + "', which is not MAJOR.MINOR; skipped"));
        if (!version.runsOn(ApiVersion.CURRENT)) {
            throw new Rejected(incompatible(title, version));
        }
        return Optional.of(new PluginJar(path, packages, version, title));
    }

    private static boolean isPackageName(String name) {
        for (String part : name.split("\\.", -1)) {
            if (part.isEmpty() || !Character.isJavaIdentifierStart(part.charAt(0))
                    || !part.chars().skip(1).allMatch(Character::isJavaIdentifierPart)) {
                return false;
            }
        }
        return true;
    }

    private static String incompatible(String title, ApiVersion version) {
        ApiVersion current = ApiVersion.CURRENT;
        String advice = version.major() == current.major()
                ? "it needs a newer cgrender"
                : "use a build of the plugin for plugin API " + current.major() + ".x"
                + (version.major() < current.major() ? "" : ", or a newer cgrender");
        return "plugin " + title + " was built for cgrender plugin API " + version + ", but this cgrender supports "
                + "plugin API " + current + " (plugins built for " + current.major() + ".0 to " + current
                + "); " + advice + "; skipped";
    }

    private static String title(Path path, Attributes main) {
        String name = main.getValue(Attributes.Name.IMPLEMENTATION_TITLE);
        String version = main.getValue(Attributes.Name.IMPLEMENTATION_VERSION);
        if (name == null) {
            return path.toString();
        }
        return name + (version == null ? "" : " " + version) + " (" + path + ")";
    }

    /** A jar that cannot be used as a plugin; the message names it and says why. */
    public static final class Rejected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message);
        }
    }
}
