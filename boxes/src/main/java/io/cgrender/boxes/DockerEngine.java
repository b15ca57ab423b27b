package io.cgrender.boxes;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueFactory;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.ui.Console;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Docker Engine on a box whose package is installed: the daemon running, on a storage driver that works there, and
 * the login user able to use it without {@code sudo}.
 * <p>
 * Where systemd runs the machine, systemd enables and starts the daemon. Elsewhere (a box inside a container; the
 * local cloud's box is this machine) {@code dockerd} is started detached as a machine service would be: in a session
 * of its own, with a clean environment (so it is none of the processes a local box ends when it stops), its log in
 * {@value #LOG}. A running daemon is left alone, so a second setup starts nothing.
 * <p>
 * Where overlay storage is not available, the daemon uses the {@code vfs} driver, set in {@value #DAEMON_JSON}
 * (keeping the file's other settings), and a warning says why. The evidence: before the first start,
 * {@code /var/lib/docker} on overlayfs or a kernel without overlay; after a start, a daemon that failed on its
 * storage driver (its log says so).
 */
final class DockerEngine {

    static final String LOG = "/var/log/cgrender-dockerd.log";
    static final String DAEMON_JSON = "/etc/docker/daemon.json";
    /** How long a starting daemon gets to answer. */
    private static final Duration START = Duration.ofSeconds(60);
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final String INFO_FORMAT = "'{{.ServerVersion}} {{.Driver}}'";
    private static final Pattern STORAGE_FAILURE = Pattern.compile(
            "(?i).*(graphdriver|storage.driver|overlay|backing file ?system).*");
    private static final Pattern FAILURE = Pattern.compile("(?i).*(error|fail|not supported|invalid|unsupported).*");

    private final RemoteHost host;
    private final String sudo;
    private final Console console;
    private final Duration timeout;
    /** Why the daemon uses vfs, once this setup decided it. */
    private Optional<String> vfsBecause = Optional.empty();

    /** @param sudo what runs a command with root's rights on {@code host}: {@code ""} or {@code "sudo -n "} */
    DockerEngine(RemoteHost host, String sudo, Console console, Duration timeout) {
        this.host = host;
        this.sudo = sudo;
        this.console = console;
        this.timeout = timeout;
    }

    /** What the box says about its Docker, read in one round trip. */
    record Facts(boolean systemd, Optional<String> answering, boolean daemonRunning, boolean kernelOverlay,
                 String dockerDirFs) {

        static Facts parse(String text) {
            Map<String, String> f = new HashMap<>();
            text.lines().forEach(l -> {
                int eq = l.indexOf('=');
                if (eq > 0) {
                    f.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
                }
            });
            return new Facts(f.containsKey("systemd"), Optional.ofNullable(f.get("answering")),
                    f.containsKey("daemon-running"), f.containsKey("kernel-overlay"),
                    f.getOrDefault("docker-dir-fs", ""));
        }

        /** Why overlay storage cannot work here, before the daemon has tried; empty when nothing says so. */
        Optional<String> overlayUnavailable() {
            if (dockerDirFs.equals("overlayfs")) {
                return Optional.of("/var/lib/docker is on overlayfs, as in a container");
            }
            if (!kernelOverlay) {
                return Optional.of("the kernel has no overlay file system");
            }
            return Optional.empty();
        }
    }

    /** Starts the daemon unless it runs, falling back to vfs storage where overlay does not work. */
    void start() {
        Facts facts = facts();
        if (facts.answering().isPresent()) {
            return;
        }
        Optional<String> noOverlay = facts.overlayUnavailable();
        String daemonJson = root(": docker-config; cat " + DAEMON_JSON + " 2>/dev/null; true", null).stdout();
        Optional<String> configured = configuredDriver(daemonJson);
        if (noOverlay.isPresent() && configured.isEmpty()) {
            useVfs(noOverlay.get(), daemonJson);
        }
        Optional<String> failure = facts.daemonRunning()
                ? await(facts.systemd(), Optional.empty(), facts.systemd() ? this::journal : () -> logSince(0))
                : startAndAwait(facts.systemd(), false);
        if (failure.isEmpty()) {
            return;
        }
        Optional<String> storage = failure.get().lines().filter(l -> STORAGE_FAILURE.matcher(l).matches()
                && FAILURE.matcher(l).matches()).reduce((first, last) -> last).map(String::strip);
        if ((storage.isPresent() || noOverlay.isPresent()) && vfsBecause.isEmpty()
                && !configured.equals(Optional.of("vfs"))) {
            useVfs(storage.map(l -> "the daemon failed on its storage driver: " + shorten(l))
                    .orElseGet(noOverlay::orElseThrow), daemonJson);
            failure = startAndAwait(facts.systemd(), true);
            if (failure.isEmpty()) {
                return;
            }
        }
        throw new CgrenderException("the Docker daemon did not start; last lines of its log:\n"
                + indent(failure.get())).fix(facts.systemd() ? "see journalctl -u docker.service on the box"
                : "see " + LOG + " on the box");
    }

    /**
     * Adds the login user to the {@code docker} group unless it is root or a member.
     *
     * @return whether it was added: its membership applies to new logins only
     */
    boolean letLoginUserIn() {
        ExecResult r = host.exec(": docker-group; u=\"$(id -un)\"; if [ \"$(id -u)\" = 0 ]; then echo root;"
                + " elif id -nG \"$u\" | tr ' ' '\\n' | grep -qx docker; then echo member;"
                + " else " + sudo + "usermod -aG docker \"$u\" && echo added; fi", timeout);
        if (!r.succeeded()) {
            throw new CgrenderException("cannot add the login user to the docker group (exit " + r.exitCode() + "): "
                    + r.stderr().strip());
        }
        boolean added = r.stdout().strip().equals("added");
        if (added) {
            console.status("added the login user to the docker group (for new logins)");
        }
        return added;
    }

    /**
     * Checks that the login user can use Docker without {@code sudo} ({@code docker info}; through {@code sg docker}
     * when this session began before the user joined the group) and says which Docker runs, on which storage driver.
     */
    void verify() {
        String info = "docker info --format " + INFO_FORMAT;
        ExecResult r = host.exec(": docker-verify; if [ \"$(id -u)\" = 0 ] || [ -w /var/run/docker.sock ]; then "
                + info + "; else sg docker -c " + Shell.quote(info) + "; fi", timeout);
        String[] said = r.stdout().strip().split("\\s+");
        if (!r.succeeded() || said.length != 2) {
            throw new CgrenderException("the login user cannot use Docker (docker info, exit " + r.exitCode() + "): "
                    + shorten((r.stderr().strip() + " " + r.stdout().strip()).strip()));
        }
        console.status("Docker " + said[0] + " runs, storage driver " + said[1] + "; the login user uses it without"
                + " sudo");
        if (said[1].equals("vfs")) {
            String why = vfsBecause.or(() -> facts().overlayUnavailable())
                    .orElse("the daemon chose it, or " + DAEMON_JSON + " sets it");
            console.warn("Docker stores images with the vfs storage driver (" + why + "): every layer is a full"
                    + " copy, slower and larger than with overlay2");
        }
    }

    // ---------------------------------------------------------------- the daemon

    private Facts facts() {
        return Facts.parse(root(": docker-facts; [ -d /run/systemd/system ] && echo systemd=1;"
                + " { grep -qw overlay /proc/filesystems || modprobe -nq overlay; } 2>/dev/null"
                + " && echo kernel-overlay=1;"
                + " d=/var/lib/docker; while [ ! -e \"$d\" ]; do d=\"$(dirname \"$d\")\"; done;"
                + " echo \"docker-dir-fs=$(stat -f -c %T \"$d\" 2>/dev/null)\";"
                + " v=\"$(docker info --format " + INFO_FORMAT + " 2>/dev/null)\" && echo \"answering=$v\";"
                + " pgrep -x dockerd > /dev/null 2>&1 && echo daemon-running=1; true", null).stdout());
    }

    /** Starts the daemon (again, with {@code restart}); the end of its log when it did not come up. */
    private Optional<String> startAndAwait(boolean systemd, boolean restart) {
        console.status((restart ? "restarting" : "starting") + " the Docker daemon"
                + (systemd ? " (systemd)" : " (dockerd, log in " + LOG + ")"));
        if (systemd) {
            ExecResult r = root(": docker-start; systemctl reset-failed docker.service 2>/dev/null;"
                    + " systemctl enable docker.service 2>&1 && systemctl " + (restart ? "restart" : "start")
                    + " docker.service 2>&1", null);
            return r.succeeded() ? await(true, Optional.empty(), this::journal) : Optional.of(journal());
        }
        // setsid in the background of a shell without job control makes the session without forking: $! is dockerd.
        ExecResult r = root(": docker-start; echo \"--- dockerd started by cgrender $(date -u +%FT%TZ)\" >> " + LOG
                + "; echo \"offset=$(wc -c < " + LOG + ")\"; setsid env -i PATH=" + PATH + " dockerd >> " + LOG
                + " 2>&1 < /dev/null & echo \"pid=$!\"", null);
        Map<String, String> started = new HashMap<>();
        r.stdout().lines().filter(l -> l.contains("=")).forEach(l -> started.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1).strip()));
        if (!r.succeeded() || !started.containsKey("pid")) {
            throw new CgrenderException("cannot start dockerd (exit " + r.exitCode() + "): " + r.stderr().strip());
        }
        long offset = Long.parseLong(started.getOrDefault("offset", "0"));
        return await(false, Optional.of(started.get("pid")), () -> logSince(offset));
    }

    /**
     * Waits, bounded, for the daemon to answer; empty once it does, else {@code log} (with what went wrong) once it
     * died (process {@code pid}; without a pid, the systemd unit or any dockerd) or did not answer in time.
     */
    private Optional<String> await(boolean systemd, Optional<String> pid, Supplier<String> log) {
        String alive = pid.map(p -> "kill -0 " + p + " 2>/dev/null").orElse(systemd
                ? "[ \"$(systemctl is-active docker.service)\" != failed ]" : "pgrep -x dockerd > /dev/null");
        long tries = START.toMillis() / 200;
        // A daemon of ours that never answered is ended, so that a restart does not meet it.
        ExecResult r = root(": docker-await; for i in $(seq " + tries + "); do docker info > /dev/null 2>&1 && exit 0;"
                + " " + alive + " || exit 1; sleep 0.2; done; " + pid.map(p -> "kill " + p + " 2>/dev/null; ")
                .orElse("") + "exit 2", null);
        if (r.succeeded()) {
            return Optional.empty();
        }
        return Optional.of((r.exitCode() == 2 ? "(no answer within " + START.toSeconds() + " s)\n" : "") + log.get());
    }

    private String journal() {
        return root(": docker-log; journalctl -u docker.service -n 20 --no-pager -o cat 2>&1", null).stdout();
    }

    private String logSince(long offset) {
        return root(": docker-log; tail -c +" + (offset + 1) + " " + LOG + " | tail -n 20", null).stdout();
    }

    // ---------------------------------------------------------------- storage

    /** The storage driver {@code json} ({@value #DAEMON_JSON}) sets, if it sets one. */
    private static Optional<String> configuredDriver(String json) {
        if (json.isBlank()) {
            return Optional.empty();
        }
        try {
            ConfigObject config = parse(json);
            return Optional.ofNullable(config.get("storage-driver")).map(v -> String.valueOf(v.unwrapped()));
        } catch (ConfigException e) {
            return Optional.empty();
        }
    }

    /** Sets the vfs driver in {@value #DAEMON_JSON}, whose content is {@code json}, and says {@code why}. */
    private void useVfs(String why, String json) {
        String merged;
        try {
            merged = withStorageDriver(json, "vfs");
        } catch (ConfigException e) {
            throw new CgrenderException("overlay storage is not available (" + why + "), and " + DAEMON_JSON
                    + " is not valid JSON, so cgrender cannot set the vfs storage driver in it: " + e.getMessage())
                    .fix("correct " + DAEMON_JSON + " on the box, or add \"storage-driver\": \"vfs\" to it yourself");
        }
        ExecResult r = root(": docker-config-write; mkdir -p /etc/docker && cat > " + DAEMON_JSON + ".cgrender"
                + " && mv -f " + DAEMON_JSON + ".cgrender " + DAEMON_JSON, merged);
        if (!r.succeeded()) {
            throw new CgrenderException("cannot write " + DAEMON_JSON + " (exit " + r.exitCode() + "): "
                    + r.stderr().strip());
        }
        vfsBecause = Optional.of(why);
        console.warn("overlay storage is not available (" + why + "): Docker uses the vfs storage driver, set in "
                + DAEMON_JSON);
    }

    /** {@code json} (a daemon.json, possibly empty) with {@code "storage-driver": driver}, its other settings kept. */
    static String withStorageDriver(String json, String driver) {
        ConfigObject config = json.isBlank() ? ConfigFactory.empty().root() : parse(json);
        return config.withValue("storage-driver", ConfigValueFactory.fromAnyRef(driver))
                .render(ConfigRenderOptions.concise().setFormatted(true)).strip() + "\n";
    }

    private static ConfigObject parse(String json) {
        return ConfigFactory.parseString(json, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON)).root();
    }

    // ---------------------------------------------------------------- helpers

    /** Runs {@code script} with root's rights, {@code stdin} fed to it; output captured. */
    private ExecResult root(String script, String stdin) {
        String command = sudo.isEmpty() ? script : sudo + "sh -c " + Shell.quote(script);
        if (stdin == null) {
            return host.exec(command, timeout);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecResult r = host.exec(command, timeout, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                out, err);
        return new ExecResult(r.exitCode(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String shorten(String line) {
        return line.length() <= 160 ? line : line.substring(0, 157) + "...";
    }

    private static String indent(String text) {
        List<String> lines = text.strip().lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "  (the log is empty)" : String.join("\n", lines.stream().map(l -> "  " + l).toList());
    }
}
