package io.cgrender.core.render;

import io.cgrender.core.UsageException;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.scad.ScadDependencies;
import io.cgrender.core.scad.ScadDependencyScanner;
import io.cgrender.core.scad.ScadFile;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.sync.SyncFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything a render will do, worked out before anything is launched: each model's dependencies (a missing one is
 * refused here, with file:line), the files to upload and where, the outputs and where they land, and the script the
 * box runs. Building a plan touches no box; that is what {@code --dry-run} prints.
 * <p>
 * On the box, each model gets a work directory {@code .cgrender/work/<key>/} (the key derives from the namespace and
 * the model's path, so re-rendering the same model syncs incrementally into the same place) laid out as
 * {@link ScadDependencies} describes; the parameter file, if any, is uploaded as {@code params.json} beside the roots.
 * Every target (a model, or a model with one parameter set) writes {@code out/t<i>.<ext>} in the job directory, with
 * its exit code in {@code out/t<i>.exit}.
 */
public final class RenderPlan {

    private static final String WORK_ROOT = RemoteJobs.WORK_ROOT;
    private static final Pattern DEFINE = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*=.*\\S.*", Pattern.DOTALL);
    static final String PARAMS_FILE = "params.json";

    /** One model's inputs and where they go on the box. */
    public record ModelInputs(Path model, ScadDependencies dependencies, String workdir, List<SyncFile> files,
                              Optional<Path> parameterFile) {
        public ModelInputs {
            files = List.copyOf(files);
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
        for (String define : request.defines()) {
            if (!DEFINE.matcher(define).matches()) {
                throw new UsageException("bad -D '" + define + "': write it as name=value, e.g. -D 'size=10' or"
                        + " -D 'label=\"abc\"'");
            }
        }
        request.parameters().ifPresent(p -> request.sets().forEach(p::require));
        if (!request.sets().isEmpty() && request.parameters().isEmpty()) {
            throw new UsageException("a parameter set needs its file: add -p FILE.json");
        }
        request.outputDir().ifPresent(RenderPlan::requireWritableDir);
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
            requireWritableDir(outDir);
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
     * The bash script of the render job. One target streams OpenSCAD's output as it comes; several run in parallel,
     * up to the box's CPU count, each printing its output when it finishes.
     *
     * @param outDir the job's output directory, relative to the box's home
     */
    public String script(String outDir) {
        StringBuilder s = new StringBuilder();
        s.append("set -u\n");
        s.append("export out=\"$HOME/").append(outDir).append("\"\n");
        s.append("mkdir -p \"$out\"\n");
        for (ModelInputs m : models) {
            for (String dir : m.dependencies().directories()) {
                s.append("mkdir -p ").append(boxPath(m, dir)).append('\n');
            }
        }
        if (targets.size() == 1) {
            Target t = targets.get(0);
            s.append(command(t)).append('\n');
            s.append("code=$?\n");
            s.append("echo \"$code\" > \"$out/").append(t.remoteName()).append(".exit\"\n");
            s.append("exit \"$code\"\n");
            return s.toString();
        }
        s.append("max=$(nproc 2>/dev/null || echo 1)\n");
        s.append("run_target() {\n");
        s.append("  local name=\"$1\" label=\"$2\"; shift 2\n");
        s.append("  \"$@\" > \"$out/$name.log\" 2>&1\n");
        s.append("  local code=$?\n");
        s.append("  echo \"$code\" > \"$out/$name.exit\"\n");
        s.append("  { flock 9; printf '=== %s: exit %s ===\\n' \"$label\" \"$code\"; cat \"$out/$name.log\"; }"
                + " 9> \"$out/.print-lock\"\n");
        s.append("}\n");
        for (Target t : targets) {
            s.append("while [ \"$(jobs -rp | wc -l)\" -ge \"$max\" ]; do wait -n; done\n");
            s.append("run_target ").append(t.remoteName()).append(' ').append(Shell.quote(t.label()))
                    .append(" bash -c ").append(Shell.quote(command(t))).append(" &\n");
        }
        s.append("wait\n");
        s.append("failed=0\n");
        for (Target t : targets) {
            s.append("[ \"$(cat \"$out/").append(t.remoteName()).append(".exit\")\" = 0 ] || failed=1\n");
        }
        s.append("exit $failed\n");
        return s.toString();
    }

    /**
     * Box path prefix → local path prefix for every root of every model, for {@link io.cgrender.core.job.JobLogWriter}:
     * OpenSCAD names files relative to its working directory ({@code <key>/src/x.scad}) or absolutely.
     */
    public Map<String, String> pathMap(String boxHome, Path cwd) {
        Map<String, String> map = new LinkedHashMap<>();
        for (ModelInputs m : models) {
            String key = m.workdir().substring(WORK_ROOT.length() + 1);
            for (ScadDependencies.UploadRoot root : m.dependencies().roots()) {
                String local = display(root.dir(), cwd);
                String localPrefix = local.equals(".") ? "" : local + "/";
                map.put(boxHome + "/" + m.workdir() + "/" + root.name() + "/", localPrefix);
                map.put(key + "/" + root.name() + "/", localPrefix);
            }
        }
        return map;
    }

    /** The OpenSCAD command line(s) for one target: the render, then its preview if asked for. */
    private String command(Target t) {
        ModelInputs m = t.inputs();
        String render = openscad(m, t, "\"$out/" + t.remoteName() + "." + request.format().extension() + "\"",
                request.format().needsDisplay());
        if (t.preview().isEmpty()) {
            return render;
        }
        String preview = openscad(m, t, "\"$out/" + t.remoteName() + ".png\"", true)
                + " --viewall --autocenter --imgsize=1024,768";
        return render + " && " + preview;
    }

    private String openscad(ModelInputs m, Target t, String output, boolean display) {
        StringBuilder c = new StringBuilder();
        // From the parent of all work directories OpenSCAD names files "<key>/src/…": one name per model.
        c.append("cd \"$HOME\"/").append(WORK_ROOT).append(" && ");
        List<String> libs = m.dependencies().boxLibraryPath();
        if (libs.isEmpty()) {
            c.append("env -u OPENSCADPATH ");
        } else {
            List<String> absolute = libs.stream().map(l -> boxPath(m, l)).toList();
            c.append("OPENSCADPATH=").append(String.join(":", absolute)).append(' ');
        }
        if (display) {
            c.append("xvfb-run -a ");
        }
        c.append("openscad -o ").append(output);
        for (String define : request.defines()) {
            c.append(" -D ").append(Shell.quote(define));
        }
        if (t.set().isPresent()) {
            c.append(" -p ").append(boxPath(m, PARAMS_FILE)).append(" -P ").append(Shell.quote(t.set().get()));
        }
        c.append(' ').append(boxPath(m, m.dependencies().boxModelPath()));
        return c.toString();
    }

    /** A path in a model's work directory as a shell word, e.g. {@code "$HOME"/.cgrender/work/ab12/src/x.scad}. */
    private static String boxPath(ModelInputs m, String relative) {
        String path = relative.equals(".") ? m.workdir() : m.workdir() + "/" + relative;
        return "\"$HOME\"/" + Shell.quote(path);
    }

    private static ModelInputs inputs(Namespace namespace, Path model, ScadDependencies deps,
                                      Optional<Path> parameterFile) {
        String key = FileHashes.sha256Hex(namespace + "\n" + model.toAbsolutePath()).substring(0, 16);
        String workdir = WORK_ROOT + "/" + key;
        List<SyncFile> files = new ArrayList<>();
        for (ScadFile f : deps.files()) {
            files.add(new SyncFile(f.path(), f.uploadPath()));
        }
        parameterFile.ifPresent(p -> files.add(new SyncFile(p, PARAMS_FILE)));
        return new ModelInputs(model, deps, workdir, files, parameterFile);
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

    private static void requireWritableDir(Path dir) {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            throw new UsageException("output directory " + dir + " is not writable; choose another with -o DIR");
        }
    }

    private static String stem(Path model) {
        String name = model.getFileName().toString();
        return name.substring(0, name.length() - ".scad".length());
    }

    private static String fileSafe(String set) {
        return set.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String display(Path dir, Path cwd) {
        Path abs = dir.toAbsolutePath().normalize();
        Path base = cwd.toAbsolutePath().normalize();
        if (abs.equals(base)) {
            return ".";
        }
        return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
    }
}
