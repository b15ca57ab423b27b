package io.cgrender.local;

import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.doctor.Check;
import io.cgrender.core.doctor.CheckList;
import io.cgrender.core.doctor.CheckResult;
import io.cgrender.core.doctor.CheckTarget;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What {@code cgrender doctor} checks of the local cloud. A local box is this machine, so its setup does its package
 * work here ({@code apt-get}, as root or through passwordless {@code sudo}), and {@code cgrender ssh} and
 * {@code rsync} start this machine's {@code ssh} and {@code rsync}. Programs are looked up on the invocation's
 * {@code PATH}.
 */
final class LocalChecks {

    private static final Duration PROGRAM_TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, String> env;
    private final Optional<CheckTarget> target;

    LocalChecks(Map<String, String> env, Optional<CheckTarget> target) {
        this.env = env;
        this.target = target;
    }

    static CheckList of(CloudContext context, Optional<CheckTarget> target) {
        LocalChecks checks = new LocalChecks(context.env(), target);
        return CheckList.of(List.of(
                Check.of("operating system", () -> checks.operatingSystem(HostOs.current())),
                Check.of("openscad", checks::openscad),
                Check.of("ssh", () -> checks.required("ssh", "-V", "openssh-client",
                        "cgrender ssh and cgrender rsync connect with it")),
                Check.of("rsync", () -> checks.required("rsync", "--version", "rsync", "cgrender rsync runs it")),
                Check.of("package work", checks::packageWork)));
    }

    /** This machine's system, which every local box is: the render role must be written for its package manager. */
    CheckResult operatingSystem(HostOs os) {
        if (os.packageManager().isEmpty()) {
            return CheckResult.fail(os.name() + " has neither apt nor dnf, so no role can be a local box here",
                    "use another cloud, e.g. cgrender --cloud ec2 doctor");
        }
        String manager = os.packageManager().get().name().toLowerCase(java.util.Locale.ROOT);
        if (target.isPresent()) {
            try {
                os.requireRunnable(target.get().role(), target.get().machine());
            } catch (io.cgrender.core.CgrenderException e) {
                return CheckResult.fail("the render role (cgrender.render.role) " + e.getMessage(),
                        "set cgrender.render.role to a role of " + manager + " (cgrender list-roles), or render with"
                                + " --cloud ec2");
            }
        }
        return CheckResult.ok(os.name() + " (" + manager + "): a local box can be a role of " + manager
                + " (see cgrender list-roles)");
    }

    /** OpenSCAD, which a render box's setup installs when it is missing (the local box is this machine). */
    private CheckResult openscad() {
        Optional<Path> program = find("openscad");
        if (program.isEmpty()) {
            return CheckResult.warn("openscad is not installed; the setup of the first openscad-ubuntu-box installs"
                    + " it with apt-get (see: package work)", sudo() + "apt-get install -y openscad");
        }
        return CheckResult.ok(version(program.get(), "--version"));
    }

    private CheckResult required(String name, String versionOption, String aptPackage, String why) {
        Optional<Path> program = find(name);
        if (program.isEmpty()) {
            return CheckResult.fail(name + " is not installed (not on PATH); " + why, sudo() + "apt-get install -y "
                    + aptPackage);
        }
        return CheckResult.ok(version(program.get(), versionOption));
    }

    /** Root, or sudo without a password: what a box's setup needs to run apt-get here. */
    private CheckResult packageWork() {
        if (root()) {
            return CheckResult.ok("running as root: a box's setup installs its packages with apt-get");
        }
        String user = env.getOrDefault("USER", System.getProperty("user.name"));
        String allow = "allow " + user + " passwordless sudo (sudo visudo), or run cgrender as root";
        if (find("sudo").isEmpty()) {
            return CheckResult.fail("not root and no sudo: a box's setup cannot install packages with apt-get",
                    "as root: apt-get install -y sudo; then " + allow);
        }
        Result sudo = run(List.of("sudo", "-n", "true"));
        if (sudo.exitCode() != 0) {
            return CheckResult.fail("sudo asks " + user + " for a password (sudo -n true: " + sudo.firstLine()
                    + "), so a box's setup cannot install packages with apt-get", allow);
        }
        return CheckResult.ok("passwordless sudo: a box's setup installs its packages with sudo apt-get");
    }

    private boolean root() {
        Result id = run(List.of("id", "-u"));
        return id.exitCode() == 0 && id.firstLine().equals("0");
    }

    private String sudo() {
        return root() ? "" : "sudo ";
    }

    /** "OpenSSH_9.2p1 … (/usr/bin/ssh)": the first line the program prints about its version, and where it is. */
    private String version(Path program, String option) {
        Result r = run(List.of(program.toString(), option));
        String said = r.firstLine().replaceAll("\\s+", " ");
        return (r.exitCode() == 0 && !said.isEmpty() ? said : "installed") + " (" + program + ")";
    }

    private Optional<Path> find(String program) {
        String path = env.getOrDefault("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir).resolve(program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private record Result(int exitCode, String output) {
        String firstLine() {
            return output.strip().lines().findFirst().orElse("");
        }
    }

    /** Runs a short command (stdin closed), giving up after {@link #PROGRAM_TIMEOUT}. */
    private Result run(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().put("PATH", env.getOrDefault("PATH", pb.environment().getOrDefault("PATH", "")));
            Process p = pb.start();
            if (!p.waitFor(PROGRAM_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not end within "
                        + PROGRAM_TIMEOUT.toSeconds() + "s");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
