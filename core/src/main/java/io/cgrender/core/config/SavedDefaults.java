package io.cgrender.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import io.cgrender.core.CgrenderException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The defaults cgrender saves for the user ({@code create --save-defaults}, {@code --set-primary}), in HOCON in
 * {@code $XDG_CONFIG_HOME/cgrender/defaults.conf}. {@link Settings} reads it as a layer just above the built-in
 * defaults, so anything in the user's own {@code cgrender.conf} (or {@code -c}, the environment, an option) wins.
 * The file is cgrender's: it is rewritten as a whole, without comments, and may be edited or deleted freely.
 */
public final class SavedDefaults {

    private static final String HEADER = "# Saved by cgrender (create --save-defaults / --set-primary). Edit or delete"
            + " freely:\n# $XDG_CONFIG_HOME/cgrender/cgrender.conf, -c FILE, the environment and options all win over"
            + " this file.\n";

    private final Path file;

    public SavedDefaults(Path file) {
        this.file = file;
    }

    public static SavedDefaults of(Dirs dirs) {
        return new SavedDefaults(dirs.savedDefaultsFile());
    }

    public Path file() {
        return file;
    }

    /**
     * Sets {@code values} (full config paths, e.g. {@code cgrender.cloud}, quoted where needed with
     * {@link com.typesafe.config.ConfigUtil#joinPath}) and keeps everything else the file holds. The file is replaced
     * atomically.
     */
    public synchronized void save(Map<String, ?> values) {
        try {
            Config existing = Files.exists(file) ? ConfigFactory.parseFile(file.toFile()) : ConfigFactory.empty();
            Config merged = ConfigFactory.parseMap(values, "saved defaults").withFallback(existing);
            String text = HEADER + merged.root().render(ConfigRenderOptions.defaults()
                    .setOriginComments(false).setComments(false).setJson(false).setFormatted(true));
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | ConfigException e) {
            throw new CgrenderException("cannot save defaults in " + file + ": " + e.getMessage(), e);
        }
    }
}
