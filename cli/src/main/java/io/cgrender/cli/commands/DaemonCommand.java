package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.cli.daemon.DaemonStatus;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

@Command(name = "daemon",
        footer = {"", "Examples:", "  cgrender daemon", "  cgrender daemon --stop",
                "  CGRENDER_DAEMON=off cgrender list      (this command without the daemon)"},
        description = {"Show or stop the background process that runs your commands warm.",
                "The launcher hands each command to a daemon of your user, cgrender build, state directory and"
                        + " environment, started by the first command that found none, and ending after"
                        + " cgrender.daemon.idle-timeout (10m) without a command. Commands that use the terminal (ssh,"
                        + " rsync, terminate, help, -v) run in the launcher's own process.",
                "CGRENDER_DAEMON=off never uses or starts one; =only fails a command the daemon did not run."})
public final class DaemonCommand extends AbstractCommand {

    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(10);

    @Option(names = "--stop", description = "Stop the daemon; commands it is running are interrupted as by Ctrl-C,"
            + " and clean up first.")
    boolean stop;

    @Override
    protected int execute(Session session) throws InterruptedException {
        Optional<DaemonStatus> status = DaemonStatus.of(session.invocation().env());
        Optional<ProcessHandle> process = status.flatMap(DaemonStatus::process);
        if (stop && process.isPresent()) {
            session.console().status("stopping the daemon (pid " + process.get().pid() + ")");
            if (!status.get().stop(STOP_TIMEOUT)) {
                throw new CgrenderException("the daemon (pid " + process.get().pid() + ") did not end within "
                        + STOP_TIMEOUT.toMinutes() + " minutes").fix("kill " + process.get().pid());
            }
        }
        boolean running = process.isPresent() && !stop;
        if (session.options().json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("running", running);
            process.filter(p -> running).ifPresent(p -> json.put("pid", p.pid()));
            status.ifPresent(s -> json.put("socket", s.address().socket().toString()));
            session.console().out().println(Json.write(json));
        } else if (status.isEmpty()) {
            session.console().out().println("no daemon: the state directory's path is too long for its socket");
        } else if (running) {
            session.console().out().println("running (pid " + process.get().pid() + "), listening on "
                    + status.get().address().socket());
        } else {
            session.console().out().println((stop && process.isPresent() ? "stopped" : "not running")
                    + "; the next command starts one (log: " + status.get().address().log() + ")");
        }
        return 0;
    }
}
