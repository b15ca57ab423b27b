package io.cgrender.core.render;

import io.cgrender.core.render.RenderPlan.ModelInputs;
import io.cgrender.core.render.RenderPlan.Target;
import io.cgrender.core.ssh.Shell;

import java.util.List;

/**
 * The bash script of a render job: OpenSCAD run on the job's own copy of each model's files ({@code <job>/in/}),
 * writing {@code <job>/out/t<i>.<ext>} and the exit code in {@code t<i>.exit}. One target streams OpenSCAD's output
 * as it comes; several run in parallel, up to the box's CPU count, each printing its output when it finishes.
 */
final class RenderScript {

    private final RenderPlan plan;
    private final String jobDir;

    /** @param jobDir the job's directory, relative to the box's home */
    RenderScript(RenderPlan plan, String jobDir) {
        this.plan = plan;
        this.jobDir = jobDir;
    }

    String text() {
        StringBuilder s = new StringBuilder();
        s.append("set -u\n");
        s.append("export out=\"$HOME/").append(jobDir).append("/out\"\n");
        s.append("mkdir -p \"$out\"\n");
        for (ModelInputs m : plan.models()) {
            for (String dir : m.dependencies().directories()) {
                s.append("mkdir -p ").append(boxPath(m, dir)).append('\n');
            }
        }
        List<Target> targets = plan.targets();
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

    /** The OpenSCAD command line(s) for one target: the render, then its preview if asked for. */
    private String command(Target t) {
        RenderFormat format = plan.request().format();
        String render = openscad(t, "\"$out/" + t.remoteName() + "." + format.extension() + "\"",
                format.needsDisplay());
        if (t.preview().isEmpty()) {
            return render;
        }
        String preview = openscad(t, "\"$out/" + t.remoteName() + ".png\"", true)
                + " --viewall --autocenter --imgsize=1024,768";
        return render + " && " + preview;
    }

    private String openscad(Target t, String output, boolean display) {
        ModelInputs m = t.inputs();
        StringBuilder c = new StringBuilder();
        // From the parent of the job's copies OpenSCAD names files "<key>/src/…": one name per model.
        c.append("cd \"$HOME\"/").append(Shell.quote(jobDir + "/in")).append(" && ");
        List<String> libs = m.dependencies().boxLibraryPath();
        if (libs.isEmpty()) {
            c.append("env -u OPENSCADPATH ");
        } else {
            c.append("OPENSCADPATH=").append(String.join(":", libs.stream().map(l -> boxPath(m, l)).toList()))
                    .append(' ');
        }
        if (display) {
            c.append("xvfb-run -a ");
        }
        c.append("openscad -o ").append(output);
        for (String define : plan.request().defines()) {
            c.append(" -D ").append(Shell.quote(define));
        }
        if (t.set().isPresent()) {
            c.append(" -p ").append(boxPath(m, RenderPlan.PARAMS_FILE)).append(" -P ")
                    .append(Shell.quote(t.set().get()));
        }
        c.append(' ').append(boxPath(m, m.dependencies().boxModelPath()));
        return c.toString();
    }

    /** A path in the job's copy of a model's files as a shell word, e.g. {@code "$HOME"/'…/in/ab12/src/x.scad'}. */
    private String boxPath(ModelInputs m, String relative) {
        String dir = m.inputsIn(jobDir);
        return "\"$HOME\"/" + Shell.quote(relative.equals(".") ? dir : dir + "/" + relative);
    }
}
