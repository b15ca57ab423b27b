package io.cgrender.cli;

import io.cgrender.core.plugin.CommandContext;
import io.cgrender.core.ui.Console;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Base of every subcommand: builds the {@link Session} from the global options, runs {@link #execute}, and closes
 * the session. Failures propagate to {@link Main}, the one place that maps them to messages and exit codes.
 */
public abstract class AbstractCommand implements Callable<Integer> {

    @Spec
    protected CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        return withSession(spec, configOverrides(), context -> execute((Session) context));
    }

    /**
     * Configuration this command's own options set, by full path (e.g. {@code create --ami} sets the role's image):
     * they win over every file and the environment, like the global options.
     */
    protected Map<String, Object> configOverrides() {
        return Map.of();
    }

    /** Does the command's work and returns its exit code. */
    protected abstract int execute(Session session) throws Exception;

    /** Work done in a session. */
    interface Work {
        int run(CommandContext session) throws Exception;
    }

    /** Runs {@code work} in a session built from the global options of {@code spec}'s invocation, then closes it. */
    static int withSession(CommandSpec spec, Map<String, Object> configOverrides, Work work) throws Exception {
        CgrenderCommand root = (CgrenderCommand) spec.root().userObject();
        GlobalOptions options = root.options();
        Console console = new Console(spec.commandLine().getOut(), spec.commandLine().getErr(), options.verbose(),
                root.invocation().interrupts());
        try (Session session = new Session(options, root.invocation(), root.plugins(), console, configOverrides)) {
            return work.run(session);
        } finally {
            console.out().flush();
            console.err().flush();
        }
    }
}
