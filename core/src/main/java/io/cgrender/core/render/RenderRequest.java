package io.cgrender.core.render;

import io.cgrender.core.delivery.EmailAddress;
import io.cgrender.core.job.After;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the user asked {@code cgrender render} for.
 *
 * @param models       the models, as given
 * @param outputDir    where outputs go; empty: next to each model
 * @param format       the export format
 * @param defines      {@code -D name=value} assignments, in the order given
 * @param parameters   the customizer parameter file ({@code -p}), if any
 * @param sets         the sets to render ({@code -P}, or all of the file's with {@code --all-sets}); empty: none
 * @param preview      also produce a PNG image of each result
 * @param after        what the box does when the render job ends
 * @param useCache     look results up in the result store first ({@code --no-cache}: no); results are stored
 *                     either way
 * @param libraryDirs  configured library directories, searched after {@code OPENSCADPATH}
 * @param results      where the box stores the results itself ({@code -o s3://bucket/prefix}); empty: the cloud's
 *                     default, if it has storage
 * @param email        who is mailed when the render ends ({@code --email}), if anyone
 * @param emailAsked   whether {@code --email} was given (not just a configured default)
 */
public record RenderRequest(List<Path> models, Optional<Path> outputDir, RenderFormat format, List<String> defines,
                            Optional<ParameterSets> parameters, List<String> sets, boolean preview, After after,
                            boolean useCache, List<Path> libraryDirs, Optional<String> results,
                            Optional<EmailAddress> email, boolean emailAsked) {

    /** A request with no delivery options. */
    public RenderRequest(List<Path> models, Optional<Path> outputDir, RenderFormat format, List<String> defines,
                         Optional<ParameterSets> parameters, List<String> sets, boolean preview, After after,
                         boolean useCache, List<Path> libraryDirs) {
        this(models, outputDir, format, defines, parameters, sets, preview, after, useCache, libraryDirs,
                Optional.empty(), Optional.empty(), false);
    }

    public RenderRequest {
        models = List.copyOf(models);
        defines = List.copyOf(defines);
        sets = List.copyOf(sets);
        libraryDirs = List.copyOf(libraryDirs);
    }
}
