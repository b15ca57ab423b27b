package io.cgrender.core.render;

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
 */
public record RenderRequest(List<Path> models, Optional<Path> outputDir, RenderFormat format, List<String> defines,
                            Optional<ParameterSets> parameters, List<String> sets, boolean preview, After after,
                            boolean useCache, List<Path> libraryDirs) {

    public RenderRequest {
        models = List.copyOf(models);
        defines = List.copyOf(defines);
        sets = List.copyOf(sets);
        libraryDirs = List.copyOf(libraryDirs);
    }
}
