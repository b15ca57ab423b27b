package io.cgrender.ec2.testkit;

import io.cgrender.testkit.OsCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a boot of a stand-in's instance runs of cgrender's, in the order systemd and cloud-init run it on the instance,
 * on the stand-in's root directory (its {@code /}: the part of the instance's disk cgrender writes, passed to the
 * scripts as {@code CGRENDER_ROOT}), as the stand-in's user, so that nothing outside it is written. At every boot,
 * the units the box enabled: {@code cgrender-boot.service}, then
 * {@code cgrender-watchdog.service}, whose first check is made before anything else runs (on the instance, systemd
 * starts it long before cloud-init's last stage); on the first boot of the instance (cloud-init's per-instance run)
 * its user data, after them. A box launched from an image starts with the root directory of the imaged box, so what
 * the image carries is what runs. {@code systemctl} is a small stand-in that links and unlinks units as
 * {@code enable}/{@code disable} do and leaves start, stop and restart requests, which {@link #boot} carries out.
 */
final class StandinBoot {

    static final String BOOT_UNIT = "cgrender-boot.service";
    static final String WATCHDOG_UNIT = "cgrender-watchdog.service";
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(2);
    private static final String SYSTEMCTL = """
            #!/bin/bash
            # systemctl as cgrender's scripts use it, on a stand-in: enable and disable link units, the rest is asked
            wants="$CGRENDER_ROOT/etc/systemd/system/multi-user.target.wants"
            mkdir -p "$wants"
            verb="$1"; shift
            now=0
            for u in "$@"; do [ "$u" = --now ] && now=1; done
            for u in "$@"; do
              [ "$u" = --now ] && continue
              case "$verb" in
                enable) ln -sfn "../$u" "$wants/$u"; [ "$now" = 1 ] && echo "start $u" >> "$CGRENDER_ROOT/requests" ;;
                disable) rm -f "$wants/$u"; [ "$now" = 1 ] && echo "stop $u" >> "$CGRENDER_ROOT/requests" ;;
                start|stop|restart) echo "$verb $u" >> "$CGRENDER_ROOT/requests" ;;
              esac
            done
            exit 0
            """;

    /** The watchdog of the stand-in, which runs it as the instance's systemd would. */
    interface Watchdog {
        /** Its first check, made once; true if it powered the instance off. */
        boolean checkOnce(Path script);

        void start(Path script);

        void stop();

        boolean running();
    }

    private final String user;
    private final Path root;
    private final Path bin;
    private final Path log;
    private final Map<String, String> env;

    /**
     * @param user the stand-in's user, who runs the scripts and owns the root directory
     * @param root the stand-in's root directory
     * @param bin  where the stand-in's {@code systemctl} goes
     * @param log  where the scripts' output goes (the stand-in's watchdog log, its journal)
     * @param env  the scripts' environment beyond {@code CGRENDER_ROOT} and {@code PATH}
     */
    StandinBoot(String user, Path root, Path bin, Path log, Map<String, String> env) {
        this.user = user;
        this.root = root;
        this.bin = bin;
        this.log = log;
        this.env = env;
    }

    /** The installed watchdog, which the watchdog unit runs. */
    Path watchdogScript() {
        return root.resolve("usr/local/lib/cgrender/watchdog.sh");
    }

    /**
     * Boots: the enabled units, then (on the instance's first boot) its user data, as root. Returns without running
     * the user data when the watchdog's first check powered the instance off.
     */
    void boot(boolean firstBoot, Optional<String> userData, Watchdog watchdog) {
        try {
            Files.createDirectories(bin);
            Files.createDirectories(root);
            Path systemctl = Files.writeString(bin.resolve("systemctl"), SYSTEMCTL);
            if (!systemctl.toFile().setExecutable(true, false)) {
                throw new IOException("cannot make " + systemctl + " executable");
            }
            Files.deleteIfExists(root.resolve("requests"));
            if (enabled(BOOT_UNIT)) {
                run(root.resolve("usr/local/lib/cgrender/boot.sh"));
            }
            if (enabled(WATCHDOG_UNIT)) {
                if (watchdog.checkOnce(watchdogScript())) {
                    return;
                }
                watchdog.start(watchdogScript());
            }
            if (firstBoot && userData.isPresent()) {
                run(Files.writeString(root.resolve("user-data.sh"), userData.get()));
            }
            carryOut(watchdog);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot boot the stand-in in " + root, e);
        }
    }

    private boolean enabled(String unit) {
        return Files.exists(root.resolve("etc/systemd/system/multi-user.target.wants").resolve(unit));
    }

    private void run(Path script) throws IOException {
        if (!Files.exists(script)) {
            return;
        }
        OsCommand.run(SCRIPT_TIMEOUT, "chown", "-R", user + ":" + user, root.toString()).requireSuccess();
        List<String> command = new ArrayList<>(List.of("runuser", "-u", user, "--", "env", "-i",
                "CGRENDER_ROOT=" + root, "PATH=" + bin + ":/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        env.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of("bash", script.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            if (!p.waitFor(SCRIPT_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(script + " did not end within " + SCRIPT_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + script + " ran", e);
        }
    }

    /** The start, stop and restart requests of the watchdog unit, in order. */
    private void carryOut(Watchdog watchdog) throws IOException {
        Path requests = root.resolve("requests");
        if (!Files.exists(requests)) {
            return;
        }
        for (String line : Files.readAllLines(requests)) {
            if (!line.endsWith(" " + WATCHDOG_UNIT)) {
                continue;
            }
            switch (line.substring(0, line.indexOf(' '))) {
                case "start" -> {
                    if (!watchdog.running()) {
                        watchdog.start(watchdogScript());
                    }
                }
                case "restart" -> {
                    watchdog.stop();
                    watchdog.start(watchdogScript());
                }
                case "stop" -> watchdog.stop();
                default -> {
                }
            }
        }
        Files.delete(requests);
    }
}
