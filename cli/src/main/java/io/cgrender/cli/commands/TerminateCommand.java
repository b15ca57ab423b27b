package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.job.RemoteJobs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.Console;
import java.util.List;

@Command(name = "terminate",
        footer = {"", "Examples:",
                "  cgrender terminate openscad-ubuntu-box",
                "  cgrender terminate openscad-ubuntu-box#-1 --force"},
        description = {"Terminate a box: it is gone with its disk, and its host key is forgotten.",
                "A box that runs jobs (from any client) is only terminated with --force, or when you confirm it on a "
                        + "terminal: the jobs end with it."})
public final class TerminateCommand extends AbstractCommand {

    @Parameters(paramLabel = "BOX", description = "ROLE, ROLE#ORDINAL or box id.")
    String box;

    @Option(names = "--force", description = "Terminate even while jobs run on the box; they end with it.")
    boolean force;

    @Override
    protected int execute(Session session) {
        Machine machine = session.resolve(box);
        if (!force && machine.state() == MachineState.RUNNING) {
            List<String> jobs = runningJobs(session, machine);
            if (!jobs.isEmpty() && !confirmed(machine, jobs)) {
                throw new UsageException("box " + machine.id() + " runs " + (jobs.size() == 1 ? "job " : "jobs ")
                        + String.join(", ", jobs) + "; terminating it ends " + (jobs.size() == 1 ? "it" : "them"))
                        .fix("cgrender terminate " + machine.id() + " --force");
            }
        }
        session.environment().terminate(machine);
        session.console().status("terminated " + machine.id() + " (" + machine.role() + ")");
        return 0;
    }

    /** The jobs running on the box now; none when it cannot be asked (then there is nothing to protect). */
    private static List<String> runningJobs(Session session, Machine machine) {
        try {
            return RemoteJobs.on(session.environment().connect(machine), session.settings()).running();
        } catch (CgrenderException unreachable) {
            session.console().verbose("cannot ask " + machine.id() + " for its jobs: " + unreachable.getMessage());
            return List.of();
        }
    }

    /** Whether the user, asked on a terminal, says to terminate all the same; never without a terminal. */
    private static boolean confirmed(Machine machine, List<String> jobs) {
        Console terminal = System.console();
        if (terminal == null) {
            return false;
        }
        String answer = terminal.readLine("box %s runs %s; terminate it anyway? [y/N] ", machine.id(),
                String.join(", ", jobs));
        return answer != null && answer.strip().equalsIgnoreCase("y");
    }
}
