package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.FreshOption;
import io.cgrender.cli.IdentityOption;
import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.delivery.EmailAddress;
import io.cgrender.core.job.After;
import io.cgrender.core.price.LaunchCost;
import io.cgrender.core.render.Interruption;
import io.cgrender.core.render.ParameterSets;
import io.cgrender.core.render.RenderFormat;
import io.cgrender.core.render.RenderPlan;
import io.cgrender.core.render.RenderRequest;
import io.cgrender.core.render.Renderer;
import io.cgrender.core.scad.ScadLibraryPath;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.ShownPath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "render",
        footer = {"", "Examples:",
                "  cgrender render examples/models/tiny/cube.scad",
                "  cgrender render model.scad -D size=20 -f png -o out/"},
        description = {
        "Render OpenSCAD models on a box: reuse or create one, upload exactly the files each model needs, "
                + "render, and bring the results back next to the model (or into -o DIR).",
        "Prints the files written. A result rendered before from the same inputs is copied from the result "
                + "store without rendering. On EC2 the box stores the results in S3 by itself (and mails you with "
                + "--email), so the render finishes even when this client is gone: cgrender fetch JOB downloads them "
                + "later, also once the box has ended."})
public final class RenderCommand extends AbstractCommand {

    @Parameters(paramLabel = "MODEL.scad", arity = "1..*", description = "The models to render.")
    List<Path> models;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR|s3://BUCKET[/PREFIX]",
            description = "Write the results into DIR. On EC2, s3://BUCKET[/PREFIX] is where the box stores them"
                    + " (default: cgrender.results.location, else a bucket cgrender makes); they are still"
                    + " downloaded next to the model.")
    String output;

    @Option(names = "--email", paramLabel = "ADDR", description = "Mail ADDR when the render ends, with how it went,"
            + " where the results are and download links (default: cgrender.notify.email). On EC2, through Amazon"
            + " SES: the sender (cgrender.notify.from, else ADDR) must be verified there.")
    String email;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "stl",
            description = "stl (default), 3mf, off, amf, dxf, svg, png or csg.")
    String format;

    @Option(names = "-D", paramLabel = "NAME=VALUE", description = "Set a variable, as openscad -D does.")
    List<String> defines = new ArrayList<>();

    @Option(names = {"-p", "--parameters"}, paramLabel = "FILE.json", description = "Customizer parameter file.")
    Path parameterFile;

    @Option(names = {"-P", "--parameter-set"}, paramLabel = "SET", description = "Render this parameter set.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--all-sets", description = "Render every set of the parameter file, in parallel on the box.")
    boolean allSets;

    @Option(names = "--preview", description = "Also make a PNG image of each result.")
    boolean preview;

    @Option(names = "--detach", description = "Return once the render runs; follow it with cgrender logs JOB -f.")
    boolean detach;

    @Option(names = "--after", paramLabel = "WHAT", defaultValue = "keep",
            description = "What the box does when the render ends: keep (default; it ends itself when idle),"
                    + " stop or terminate. Done by the box itself, also when this client is gone. On EC2 a box stops"
                    + " itself with its instance profile; one without (presigned URLs) terminates instead.")
    String after;

    @Option(names = "--no-cache", description = "Render even if the result store has the result.")
    boolean noCache;

    @Option(names = "--role", paramLabel = "ROLE", description = "Render on a box of this role"
            + " (default: cgrender.render.role, openscad-ubuntu-box).")
    String role;

    @Option(names = "--boxes", paramLabel = "K", defaultValue = "1",
            description = "Spread the renders (e.g. --all-sets) over K boxes, reused or created; default 1.")
    int boxes;

    @Option(names = "--dry-run", description = "Make every check the render makes, then print, launching nothing:"
            + " which results the cache has, the box that would be used and every file that would be uploaded.")
    boolean dryRun;

    @Option(names = "--cancel-on-interrupt", description = "On Ctrl-C, cancel the render instead of leaving it"
            + " running on the box.")
    boolean cancelOnInterrupt;

    @Option(names = "--rerun-on-interruption", description = "When the cloud reclaims the box during the render (EC2"
            + " spot interruption), render what had not finished once more on a new on-demand box of the role.")
    boolean rerunOnInterruption;

    @Mixin
    IdentityOption identity;

    @Mixin
    FreshOption fresh;

    @Override
    protected Map<String, Object> configOverrides() {
        Map<String, Object> overrides = new java.util.HashMap<>(identity.overrides(spec));
        overrides.putAll(fresh.overrides());
        return overrides;
    }

    @Override
    protected int execute(Session session) {
        identity.check(session);
        RenderRequest request = request(session);
        RenderPlan plan = RenderPlan.of(request, session.namespace(), session.cwd());
        plan.warnings().forEach(session.console()::warn);
        String renderRole = role != null ? role : session.settings().string("cgrender.render.role");
        Box box = session.roles().get(renderRole).newBox();
        if (dryRun) {
            session.renderer(box).dryRun(plan).forEach(session.console().out()::println);
            Optional<Machine> reusable = box.reusable(session.cloud(), session.namespace());
            session.console().out().println("box: " + reusable
                    .map(m -> m.id() + " (" + renderRole + ", " + m.state().label() + ")")
                    .orElse("a new " + renderRole + " box on the " + session.cloud().name() + " cloud in "
                            + session.namespace()));
            if (reusable.isEmpty()) {
                Optional<LaunchCost> cost = LaunchCost.of(session.cloud(), session.settings(), renderRole,
                        box.machineSpec(), CreateOptions.defaults());
                cost.ifPresent(c -> c.checkBudget(session.settings()));
                cost.ifPresent(c -> session.console().out().println("cost: " + c.line()));
            }
            plan.uploadListing().forEach(session.console().out()::println);
            return 0;
        }
        Renderer.Outcome outcome = session.renderer(box).render(plan, boxes, detach, cancelOnInterrupt,
                rerunOnInterruption);
        if (detach) {
            outcome.jobIds().forEach(session.console().out()::println);
        }
        for (Path written : outcome.written()) {
            session.console().out().println(ShownPath.of(written, session.cwd()));
        }
        if (!outcome.interruptions().isEmpty()) {
            List<String> again = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
            again.add("--rerun-on-interruption");
            throw interrupted(outcome).fix("render it again, on an on-demand box if EC2 reclaims a spot box again:"
                    + " cgrender " + Shell.join(again));
        }
        return outcome.exitCode();
    }

    /** The error of a render whose box was reclaimed: what happened, once the finished outputs are written. */
    static CgrenderException interrupted(Renderer.Outcome outcome) {
        List<Interruption> all = outcome.interruptions();
        return new CgrenderException(all.get(0).message() + (all.size() > 1 ? " (and " + (all.size() - 1)
                + " more jobs)" : ""));
    }

    private RenderRequest request(Session session) {
        if (boxes < 1) {
            throw new UsageException("--boxes must be at least 1, not " + boxes);
        }
        RenderFormat fmt = RenderFormat.parse(format);
        After afterJob = After.parse(after);
        Optional<ParameterSets> params = Optional.ofNullable(parameterFile)
                .map(p -> ParameterSets.read(session.cwd().resolve(p)));
        if (allSets && !sets.isEmpty()) {
            throw new UsageException("give either -P SET or --all-sets, not both");
        }
        if (allSets && params.isEmpty()) {
            throw new UsageException("--all-sets needs a parameter file: add -p FILE.json");
        }
        List<String> chosen = allSets ? params.get().names() : sets;
        List<Path> libraryDirs = ScadLibraryPath.of(session.invocation().env(), session.cwd(),
                session.settings().config().getStringList("cgrender.render.library-dirs").stream()
                        .map(d -> session.cwd().resolve(d)).toList());
        boolean toStorage = output != null && output.matches("[A-Za-z][A-Za-z0-9+.-]*://.*");
        Optional<Path> outputDir = output == null || toStorage ? Optional.empty() : Optional.of(Path.of(output));
        Optional<String> results = toStorage ? Optional.of(output) : Optional.empty();
        String configured = session.settings().string("cgrender.notify.email");
        Optional<EmailAddress> mailTo = email != null ? Optional.of(EmailAddress.parse(email, "--email"))
                : configured.isBlank() ? Optional.empty()
                : Optional.of(EmailAddress.parse(configured, "cgrender.notify.email"));
        return new RenderRequest(models, outputDir, fmt, defines, params, chosen, preview, afterJob, !noCache,
                libraryDirs, results, mailTo, email != null);
    }
}
