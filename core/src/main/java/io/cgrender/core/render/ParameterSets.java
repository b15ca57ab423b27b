package io.cgrender.core.render;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueType;
import io.cgrender.core.UsageException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An OpenSCAD customizer parameter file ({@code openscad -p FILE -P SET}): JSON with a {@code parameterSets} object.
 * OpenSCAD silently renders the defaults for a set name it does not know; cgrender refuses it instead.
 */
public final class ParameterSets {

    private final Path file;
    private final List<String> names;

    private ParameterSets(Path file, List<String> names) {
        this.file = file;
        this.names = List.copyOf(names);
    }

    public static ParameterSets read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("parameter file " + file + " does not exist; check the path given with -p");
        }
        Config json;
        try {
            json = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON).setAllowMissing(false));
        } catch (ConfigException e) {
            throw new UsageException("parameter file " + file + " is not valid JSON: " + e.getMessage());
        }
        if (!json.root().containsKey("parameterSets")
                || json.root().get("parameterSets").valueType() != ConfigValueType.OBJECT) {
            throw new UsageException("parameter file " + file + " has no \"parameterSets\" object; save it from"
                    + " OpenSCAD's customizer or see examples/models/multi/bracket.json");
        }
        List<String> names = new ArrayList<>(json.root().toConfig().getObject("parameterSets").keySet());
        names.sort(null);
        return new ParameterSets(file, names);
    }

    public Path file() {
        return file;
    }

    /** The set names, sorted. */
    public List<String> names() {
        return names;
    }

    /** Refuses a set name the file does not define, listing the ones it does. */
    public void require(String name) {
        if (!names.contains(name)) {
            throw new UsageException("parameter set '" + name + "' is not in " + file + "; its sets are: "
                    + String.join(", ", names));
        }
    }
}
