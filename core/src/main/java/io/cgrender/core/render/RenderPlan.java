package io.cgrender.core.render;

import io.cgrender.core.UsageException;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.os.OutputDirectory;
import io.cgrender.core.scad.ScadDefines;
import io.cgrender.core.scad.ScadDependencies;
import io.cgrender.core.scad.ScadDependencyScanner;
import io.cgrender.core.scad.ScadFile;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.sync.SyncFile;
import io.cgrender.core.ui.ShownPath;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a render will do, worked out before anything is launched: each model's dependencies (a missing one is
 * refused here, with file:line), the files to upload and where, the outputs and where they land, and the script the
 * box runs ({@link RenderScript}). Building a plan touches no box; that is what {@code --dry-run} prints.
 * <p>
 * On the box, each model's files are synced to its upload cache {@code .cgrender/work/<key>/} (the key derives from
 * the namespace and the model's path, so re-rendering the same model sends only what changed), laid out as
 * {@link ScadDependencies} describes; the parameter file, if any, is uploaded as {@code params.json} beside the roots.
 * The job renders from its own copy, {@code <job dir>/in/<key>/}, so that concurrent renders of one model never see
 * each other's files. Every target (a model, or a model with one parameter set) writes {@code out/t<i>.<ext>} in the
 * job directory, with its exit code in {@code out/t<i>.exit}.
 */
public final class RenderPlan {

    private static final String WORK_ROOT = RemoteJobs.WORK_ROOT;
    static final String PARAMS_FILE = "params.json";

    /** One model's inputs and where they go on the box: its upload cache and, in each job, its own copy of it. */
    public record ModelInputs(Path model, ScadDependencies dependencies, String key, List<SyncFile> files,
                              Optional<Path> parameterFile) {
        public ModelInputs {
            files = List.copyOf(files);
        }

        /** The model's upload cache on the box, relative to its home. */
        public String cacheDir() {
            return WORK_ROOT + "/" + key;
        }

        /** The job's own copy of the model's files, relative to the box's home. */
        public String inputsIn(String jobDir) {
            return jobDir + "/in/" + key;
        }

        /** The model as the user knows it, e.g. {@code examples/models/tiny/cube.scad}. */
        public String displayName() {
            return dependencies.model().displayPath();
        }
    }

    /**
     * One render: a model, optionally with a parameter set.
     *
     * @param output  where the result lands here
     * @param preview where the PNG preview lands, if one was asked for
     */
    public record Target(int index, ModelInputs inputs, Optional<String> set, Path output, Optional<Path> preview) {

        /** The base name of this target's files on the box, in the job's {@code out/} directory. */
        public String remoteName() {
            return "t" + index;
        }

        public String label() {
            return inputs.displayName() + set.map(s -> " [" + s + "]").orElse("");
        }
    }

    private final RenderRequest request;
    private final List<ModelInputs> models;
    private final List<Target> targets;

    private RenderPlan(RenderRequest request, List<ModelInputs> models, List<Target> targets) {
        this.request = request;
        this.models = List.copyOf(models);
        this.targets = List.copyOf(targets);
    }

    /**
     * Validates the request and scans every model.
     *
     * @throws UsageException for bad input: a missing or non-.scad model, a bad {@code -D}, a missing dependency, an
     *                        absolute include, an output directory that cannot be written, two outputs in one place
     */
    public static RenderPlan of(RenderRequest request, Namespace namespace, Path cwd) {
        ScadDefines.require(request.defines());
        request.parameters().ifPresent(p -> request.sets().forEach(p::require));
        if (!request.sets().isEmpty() && request.parameters().isEmpty()) {
            throw new UsageException("a parameter set needs its file: add -p FILE.json");
        }
        request.outputDir().ifPresent(OutputDirectory::requireWritable);
        ScadDependencyScanner scanner = new ScadDependencyScanner(request.libraryDirs(), cwd);
        List<ModelInputs> models = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        Set<Path> outputs = new HashSet<>();
        for (Path given : request.models()) {
            Path model = cwd.resolve(given).normalize();
            requireModel(given, model);
            ScadDependencies deps = scanner.scan(model);
            refuseAbsoluteReferences(deps);
            ModelInputs inputs = inputs(namespace, model, deps, request.parameters().map(ParameterSets::file));
            models.add(inputs);
            Path outDir = request.outputDir().map(cwd::resolve).orElse(model.getParent());
            OutputDirectory.requireWritable(outDir);
            String stem = stem(model);
            List<Optional<String>> sets = request.sets().isEmpty() ? List.of(Optional.empty())
                    : request.sets().stream().map(Optional::of).toList();
            for (Optional<String> set : sets) {
                String base = stem + set.map(s -> "-" + fileSafe(s)).orElse("");
                Path output = outDir.resolve(base + "." + request.format().extension());
                Optional<Path> preview = request.preview() && request.format() != RenderFormat.PNG
                        ? Optional.of(outDir.resolve(base + ".png")) : Optional.empty();
                for (Path p : preview.map(pp -> List.of(output, pp)).orElse(List.of(output))) {
                    if (!outputs.add(p)) {
                        throw new UsageException("two renders would write " + p + "; render those models separately"
                                + " or give different output directories with -o");
                    }
                }
                targets.add(new Target(targets.size(), inputs, set, output, preview));
            }
        }
        return new RenderPlan(request, models, targets);
    }

    public RenderRequest request() {
        return request;
    }

    public List<ModelInputs> models() {
        return models;
    }

    public List<Target> targets() {
        return targets;
    }

    /**
     * What the user should hear before the render: each model's dependency warnings, then each {@code -D} that sets
     * no top-level variable of a model (with the closest names it has).
     */
    public List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        for (ModelInputs m : models) {
            m.dependencies().warnings().forEach(w -> warnings.add(w.toString()));
            warnings.addAll(ScadDefines.unknownNames(request.defines(), m.dependencies(), m.displayName()));
        }
        return warnings;
    }

    /** The same plan restricted to {@code remaining} (e.g. the targets the cache did not have). */
    public RenderPlan only(List<Target> remaining) {
        List<ModelInputs> used = models.stream()
                .filter(m -> remaining.stream().anyMatch(t -> t.inputs() == m)).toList();
        return new RenderPlan(request, used, remaining);
    }

    /** One line per file to upload, model first: library files by their path below their library directory. */
    public List<String> uploadListing() {
        List<String> lines = new ArrayList<>();
        for (ModelInputs m : models) {
            lines.addAll(m.dependencies().displayPaths());
            m.parameterFile().ifPresent(p -> lines.add(p.toString()));
        }
        return lines;
    }

    /**
     * The render's cache key: every input file's content and box path, the parameter file and set, the
     * {@code -D} values, the format, the preview flag, the OpenSCAD version and the role. Never the outputs: OpenSCAD
     * 2021.01 does not write byte-identical files run to run.
     */
    public String cacheKey(Target target, FileHashes hashes, String role, String openscadVersion) {
        StringBuilder key = new StringBuilder("cgrender-render 1\n");
        key.append("role ").append(role).append('\n');
        key.append("openscad ").append(openscadVersion).append('\n');
        key.append("format ").append(request.format().extension()).append('\n');
        key.append("preview ").append(target.preview().isPresent()).append('\n');
        key.append("model ").append(target.inputs().dependencies().boxModelPath()).append('\n');
        key.append("openscadpath ").append(target.inputs().dependencies().boxOpenScadPath()).append('\n');
        target.set().ifPresent(s -> key.append("set ").append(s).append('\n'));
        request.defines().forEach(d -> key.append("define ").append(d.replace("\n", "\\n")).append('\n'));
        target.inputs().parameterFile().ifPresent(p -> key.append("params ").append(hashes.of(p).sha256())
                .append('\n'));
        target.inputs().files().stream()
                .sorted(java.util.Comparator.comparing(SyncFile::remote))
                .forEach(f -> key.append("file ").append(hashes.of(f.local()).sha256()).append(' ')
                        .append(f.remote()).append('\n'));
        return FileHashes.sha256Hex(key.toString());
    }

    /**
     * The bash script of the render job (see {@link RenderScript}).
     *
     * @param jobDir the job's directory, relative to the box's home: the inputs are in {@code in/}, the outputs go
     *               to {@code out/}
     */
    public String script(String jobDir) {
        return new RenderScript(this, jobDir).text();
    }

    /**
     * Box path prefix → local path prefix for every root of every model, for {@link io.cgrender.core.job.JobLogWriter}:
     * OpenSCAD names files relative to its working directory ({@code <key>/src/x.scad}) or absolutely.
     */
    public Map<String, String> pathMap(String boxHome, Path cwd, String jobDir) {
        Map<String, String> map = new LinkedHashMap<>();
        for (ModelInputs m : models) {
            for (ScadDependencies.UploadRoot root : m.dependencies().roots()) {
                String local = ShownPath.of(root.dir(), cwd);
                String localPrefix = local.equals(".") ? "" : local + "/";
                map.put(boxHome + "/" + m.inputsIn(jobDir) + "/" + root.name() + "/", localPrefix);
                map.put(m.key() + "/" + root.name() + "/", localPrefix);
            }
        }
        return map;
    }

    private static ModelInputs inputs(Namespace namespace, Path model, ScadDependencies deps,
                                      Optional<Path> parameterFile) {
        String key = FileHashes.sha256Hex(namespace + "\n" + model.toAbsolutePath()).substring(0, 16);
        List<SyncFile> files = new ArrayList<>();
        for (ScadFile f : deps.files()) {
            files.add(SyncFile.of(f.path(), f.uploadPath()));
        }
        parameterFile.ifPresent(p -> files.add(SyncFile.of(p, PARAMS_FILE)));
        return new ModelInputs(model, deps, key, files, parameterFile);
    }

    private static void requireModel(Path given, Path model) {
        if (!Files.exists(model)) {
            throw new UsageException("model file " + given + " does not exist");
        }
        if (!Files.isRegularFile(model) || !model.getFileName().toString().endsWith(".scad")) {
            throw new UsageException(given + " is not an OpenSCAD model: give a .scad file");
        }
    }

    private static void refuseAbsoluteReferences(ScadDependencies deps) {
        for (ScadFile f : deps.files()) {
            if (f.absoluteReference()) {
                throw new UsageException(f.declaredAt().map(Object::toString).orElse(f.displayPath()) + ": "
                        + f.kind().keyword() + " of " + f.path() + " uses an absolute path, which a box cannot have;"
                        + " make it relative to the model or put it in a library directory (OPENSCADPATH)");
            }
        }
    }

    private static String stem(Path model) {
        String name = model.getFileName().toString();
        return name.substring(0, name.length() - ".scad".length());
    }

    private static String fileSafe(String set) {
        return set.replaceAll("[^A-Za-z0-9._-]", "_");
    }

}
