package io.cgrender.core.scad;

import io.cgrender.core.UsageException;
import io.cgrender.core.ui.ClosestNames;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code -D name=value} overrides of a render, checked against the model before anything is launched: a value that
 * cannot be an OpenSCAD expression is refused, naming the {@code -D} (OpenSCAD itself would report a syntax error at a
 * line past the end of the model), and a name that is no top-level variable of the model or of a file it includes
 * gets a warning naming the variables closest to it (OpenSCAD would just add a variable nothing reads).
 */
public final class ScadDefines {

    private static final Pattern DEFINE = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*=.*\\S.*", Pattern.DOTALL);

    private ScadDefines() {
    }

    /**
     * Refuses a {@code -D} that is not {@code name=value} with a name OpenSCAD allows and a value that can be an
     * OpenSCAD expression.
     */
    public static void require(List<String> defines) {
        for (String define : defines) {
            if (!DEFINE.matcher(define).matches()) {
                throw new UsageException("bad -D '" + define + "': write it as name=value, e.g. -D 'size=10' or"
                        + " -D 'label=\"abc\"'");
            }
            String value = define.substring(define.indexOf('=') + 1);
            ScadLexer.expressionProblem(value.getBytes(StandardCharsets.UTF_8)).ifPresent(problem -> {
                throw new UsageException("-D '" + define + "': the value is not an OpenSCAD expression (" + problem
                        + "); quote text for the shell and for OpenSCAD, e.g. -D 'label=\"abc\"'");
            });
        }
    }

    /** A warning for each {@code -D} that sets no top-level variable of the model or a file it includes. */
    public static List<String> unknownNames(List<String> defines, ScadDependencies model, String modelName) {
        Set<String> variables = new LinkedHashSet<>();
        for (ScadFile file : model.files()) {
            if (file.kind() == ScadFile.Kind.MODEL || file.kind() == ScadFile.Kind.INCLUDE) {
                try {
                    variables.addAll(ScadLexer.topLevelAssignments(Files.readAllBytes(file.path())));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file.path(), e);
                }
            }
        }
        List<String> warnings = new ArrayList<>();
        for (String define : defines) {
            String name = define.substring(0, define.indexOf('='));
            if (!variables.contains(name) && !name.startsWith("$")) { // $fn and friends are always read
                List<String> closest = ClosestNames.to(name, variables);
                warnings.add("-D " + name + ": " + modelName + " has no top-level variable '" + name
                        + "'" + (closest.isEmpty() ? "" : "; did you mean " + String.join(" or ", closest) + "?"));
            }
        }
        return warnings;
    }
}
