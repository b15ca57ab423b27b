package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.CgrenderCommand;
import io.cgrender.cli.PluginCheck;
import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.Json;
import io.cgrender.core.cloud.CloudProvider;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.doctor.Check;
import io.cgrender.core.doctor.CheckList;
import io.cgrender.core.doctor.CheckResult;
import io.cgrender.core.doctor.CheckTarget;
import io.cgrender.core.doctor.Checkup;
import io.cgrender.core.doctor.ClientChecks;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "doctor",
        footer = {"", "Examples:", "  cgrender doctor",
                "  cgrender --cloud ec2 --region eu-west-1 doctor",
                "  cgrender doctor --json"},
        description = {
                "Check that this machine and the configured cloud are ready for cgrender: one line per check, and for"
                        + " each failure the fix. Changes nothing, launches nothing.",
                "Everywhere: Java, the configuration, key files and known_hosts, plugins, the directories cgrender"
                        + " writes to. Local cloud: openscad, ssh, rsync, root or passwordless sudo. EC2: credentials"
                        + " and region, VPC or subnet, base image, a launch (dry run), SSH access, results bucket,"
                        + " mail, instance profile.",
                "Exits 0 when every check the configured cloud needs passes, 1 otherwise."})
public final class DoctorCommand extends AbstractCommand {

    private final List<Checkup.Finding> findings = new ArrayList<>();

    @Override
    protected int execute(Session session) throws Exception {
        Dirs dirs = session.dirs();
        run(session, ClientChecks.java());
        boolean configured = !run(session, Check.of("configuration", () -> configuration(session))).failed();
        run(session, ClientChecks.keyFiles(dirs.keys()));
        run(session, ClientChecks.knownHosts(session.knownHosts()));
        run(session, new PluginCheck((CgrenderCommand) spec.root().userObject(), session));
        Map<String, Path> written = new LinkedHashMap<>();
        written.put("config", dirs.config());
        written.put("data", dirs.data());
        written.put("state", dirs.state());
        written.put("cache", session.invocation().cacheDir());
        run(session, ClientChecks.directories(written));
        if (configured) {
            cloud(session);
        } else {
            report(session, new Checkup.Finding("cloud", CheckResult.skipped("needs a configuration that parses (see:"
                    + " configuration)")));
        }
        List<String> failed = findings.stream().filter(f -> f.result().failed()).map(Checkup.Finding::name).toList();
        if (session.options().json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("cloud", configured ? session.settings().cloud() : null);
            json.put("passed", failed.isEmpty());
            json.put("checks", findings.stream().map(DoctorCommand::json).toList());
            session.console().out().println(Json.write(json));
        }
        session.console().status(failed.isEmpty() ? "doctor: every check passed" : "doctor: " + failed.size()
                + " of " + findings.size() + " checks failed: " + String.join(", ", failed));
        return failed.isEmpty() ? 0 : 1;
    }

    /** The configured cloud's own checks, from its provider, for the box a render would launch. */
    private void cloud(Session session) throws Exception {
        CloudProvider provider;
        try {
            provider = session.cloudProvider();
        } catch (CgrenderException e) {
            report(session, new Checkup.Finding("cloud", CheckResult.failure(e).withFix("cgrender --cloud local doctor,"
                    + " or add the plugin of the cloud you named (see: cgrender --help, --plugin-path)")));
            return;
        }
        try (CheckList checks = provider.checks(session.cloudContext(), renderBox(session))) {
            for (Check check : checks.checks()) {
                run(session, check);
            }
        }
    }

    /** The configuration loads (every file, the environment, the options), with its namespace and render role. */
    private static CheckResult configuration(Session session) {
        Settings settings;
        String namespace;
        try {
            settings = session.settings();
            namespace = session.namespace().toString();
        } catch (CgrenderException e) {
            CheckResult failed = CheckResult.failure(e);
            return failed.fix().isPresent() ? failed : failed.withFix("correct the value named above, or remove it to"
                    + " use the default");
        }
        List<String> files = new ArrayList<>();
        for (Path file : new Path[] {session.dirs().savedDefaultsFile(), session.dirs().userConfigFile()}) {
            if (Files.exists(file)) {
                files.add(file.toString());
            }
        }
        Optional.ofNullable(session.options().configFile()).ifPresent(f -> files.add(f.toString()));
        String role = settings.string("cgrender.render.role");
        if (knownRoles(session).filter(roles -> !roles.contains(role)).isPresent()) {
            return CheckResult.fail("the render role '" + role + "' (cgrender.render.role) is no role cgrender knows;"
                    + " known: " + String.join(", ", knownRoles(session).get()), "set cgrender.render.role to one of"
                    + " them in " + session.dirs().userConfigFile() + " (see: cgrender list-roles)");
        }
        return CheckResult.ok((files.isEmpty() ? "defaults only" : String.join(", ", files)) + "; cloud "
                + settings.cloud() + ", namespace " + namespace + ", render role " + role);
    }

    /** The names of the roles, unless they cannot be found (the plugins check says why). */
    private static Optional<List<String>> knownRoles(Session session) {
        try {
            return Optional.of(List.copyOf(session.roles().all().keySet()));
        } catch (CgrenderException e) {
            return Optional.empty();
        }
    }

    /** The render role and what it needs of a machine, where it can be known. */
    private static Optional<CheckTarget> renderBox(Session session) {
        String role = session.settings().string("cgrender.render.role");
        try {
            return Optional.of(new CheckTarget(role, session.roles().get(role).newBox().machineSpec()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Runs {@code check} (bounded in time), reports what it found and returns that. */
    private CheckResult run(Session session, Check check) {
        Checkup.Finding finding = Checkup.run(check, session.console());
        report(session, finding);
        return finding.result();
    }

    /** Keeps {@code finding} for the end, and prints it at once unless the output is JSON. */
    private void report(Session session, Checkup.Finding finding) {
        findings.add(finding);
        if (!session.options().json()) {
            print(session.console().out(), finding, session.invocation().terminal().attached());
        }
    }

    /**
     * {@code ✔ name: detail} on a terminal, {@code ok   name: detail} elsewhere; a failure's or warning's fix and where
     * to read more on indented lines below it.
     */
    private static void print(PrintWriter out, Checkup.Finding finding, boolean terminal) {
        CheckResult r = finding.result();
        String mark = switch (r.status()) {
            case OK -> terminal ? "✔" : "ok";
            case WARN -> terminal ? "!" : "warn";
            case FAIL -> terminal ? "✘" : "FAIL";
            case SKIPPED -> terminal ? "-" : "skip";
        };
        int width = terminal ? 1 : 4;
        String indent = " ".repeat(width + 1);
        out.println(String.format("%-" + width + "s %s: %s", mark, finding.name(), r.detail()));
        if (r.status() == CheckResult.Status.FAIL || r.status() == CheckResult.Status.WARN) {
            r.fix().ifPresent(fix -> out.println(indent + "fix: " + fix));
            r.see().ifPresent(see -> out.println(indent + "see: " + see));
        }
        out.flush();
    }

    private static Map<String, Object> json(Checkup.Finding finding) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", finding.name());
        m.put("status", finding.result().status().word());
        m.put("detail", finding.result().detail());
        m.put("fix", finding.result().fix().orElse(null));
        m.put("see", finding.result().see().orElse(null));
        return m;
    }
}
