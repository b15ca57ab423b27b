package io.cgrender.core.docker;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.DockerBox;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Console;

import java.time.Duration;
import java.util.List;

/**
 * {@code cgrender run ROLE --docker IMAGE -- CMD…}: the job's command runs in a container of the image, with the
 * job's work directory mounted at {@code /workdir} (its working directory), as the login user (so the files it writes
 * there are that user's, and {@code --outputs} brings them back), removed when it ends ({@code --rm}). The container
 * is named after the job ({@link #containerName}); a tiny init ({@code --init}, where the box has Docker's
 * {@code docker-init}) passes cancel's SIGTERM on to the command, and a watcher outside the job removes what is left
 * of the container once the {@code docker} client ends, however it ends (killed after the kill grace, or with a box
 * that stops).
 */
public final class DockerRun {

    private final DockerImage image;

    public DockerRun(DockerImage image) {
        this.image = image;
    }

    public DockerImage image() {
        return image;
    }

    /** The container of job {@code jobId}. */
    public static String containerName(String jobId) {
        return "cgrender-" + jobId;
    }

    /** Refuses, before anything is launched, a box whose role has no Docker. */
    public void requireDockerRole(Box box) {
        if (!(box instanceof DockerBox)) {
            throw new UsageException("--docker needs a box with Docker, and role " + box.role() + " has none")
                    .fix("cgrender run docker-ubuntu-box --docker " + image + " -- CMD… (or a role of yours that"
                            + " implements " + DockerBox.class.getName() + ")");
        }
    }

    /**
     * Makes sure the box's Docker answers and has the image, pulling it from its registry if it is not there; refuses
     * (exit code 2) with what to do otherwise.
     */
    public void requireUsable(RemoteHost host, String role, Console console, Duration timeout) {
        String q = Shell.quote(image.reference());
        ExecResult found = host.exec("docker info --format '{{.ServerVersion}}' > /dev/null 2>&1"
                + " || { echo no-docker; docker info 2>&1 | grep -v '^ *$' | tail -n 1; exit 0; };"
                + " docker image inspect --format '{{.Id}}' " + q + " > /dev/null 2>&1 && echo present || echo missing",
                timeout);
        String[] lines = found.stdout().strip().split("\n", 2);
        if (lines[0].equals("present")) {
            return;
        }
        if (lines[0].equals("no-docker")) {
            throw new UsageException("Docker does not answer on box " + host.id() + " ("
                    + (lines.length > 1 ? lines[1].strip() : "docker info failed") + ")")
                    .fix("cgrender ssh " + host.id() + " -- docker info shows why; a new box starts it: cgrender"
                            + " create " + role + " --new");
        }
        console.status("pulling image " + image + " on " + host.id());
        ExecResult pull = host.exec("docker pull -q " + q + " 2>&1", timeout);
        if (pull.succeeded()) {
            return;
        }
        List<String> said = pull.stdout().strip().lines().filter(l -> !l.isBlank()).toList();
        String why = said.isEmpty() ? "docker pull exited with " + pull.exitCode() : said.get(said.size() - 1);
        boolean unreachable = why.matches("(?i).*(no such host|dial tcp|timeout|i/o timeout|connection refused"
                + "|network is unreachable|temporary failure in name resolution|TLS handshake).*");
        String load = "docker save " + image + " | cgrender ssh " + host.id() + " -- docker load (or docker import"
                + " a root file system tarball as " + image + " there)";
        throw new UsageException("image " + image + " is not on box " + host.id() + ", and pulling it failed: "
                + why).fix(unreachable ? "the box cannot reach the registry; bring the image yourself: " + load
                : "check the name (and docker login on the box for a private registry), or bring the image yourself: "
                + load);
    }

    /**
     * The job's {@code command.sh}: {@code command} (words) in a container of the image. run.sh starts it in the
     * job's work directory, as {@code $0} in the job's directory.
     */
    public String script(String jobId, List<String> command) {
        String name = containerName(jobId);
        return "# cgrender run --docker " + image + ": the command in container " + name + "\n"
                + "set -u\n"
                + "lock=\"$(dirname \"$0\")/docker.lock\"\n"
                + "# Held by this script and then the docker client: once both are gone, however they ended, the\n"
                + "# watcher (outside the job and the box's processes) removes what is left of the container.\n"
                + "exec 8>> \"$lock\"\n"
                + "flock 8\n"
                + "setsid -f env -i PATH=\"$PATH\" HOME=\"$HOME\" flock \"$lock\" docker rm -f " + name
                + " > /dev/null 2>&1 < /dev/null 8>&-\n"
                + "# An init passes SIGTERM on to the command; without one, the command is PID 1 and may ignore it.\n"
                + "init=; command -v docker-init > /dev/null 2>&1 && init=--init\n"
                + "exec docker run --rm $init --name " + name + " --user \"$(id -u):$(id -g)\""
                + " -v \"$(pwd -P):/workdir\" -w /workdir " + Shell.quote(image.reference()) + " "
                + Shell.join(command) + "\n";
    }
}
