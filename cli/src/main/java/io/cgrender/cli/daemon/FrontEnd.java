package io.cgrender.cli.daemon;

import io.cgrender.cli.Main;

import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The launcher's main class: hands the command to the user's daemon when one runs and takes it, else runs it here and
 * then starts a daemon for the next command. Loads nothing of cgrender's commands until it has to run one itself.
 * <p>
 * {@code CGRENDER_DAEMON}: {@code on} (the default), {@code off} (never use or start a daemon), {@code only} (fail
 * rather than run a command without the daemon: to check that it is used).
 */
public final class FrontEnd {

    /**
     * Set by the launcher when it records the classes a command loads for its class data archive: the command runs
     * here, whatever daemon there is, so that the archive holds what a command run here needs.
     */
    static final String RECORDING = "cgrender.launcher.recording";

    private FrontEnd() {
    }

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        String mode = env.getOrDefault("CGRENDER_DAEMON", "on");
        if (!mode.equals("on") && !mode.equals("off") && !mode.equals("only")) {
            System.err.println("error: CGRENDER_DAEMON is '" + mode + "', which is neither on, off nor only");
            System.err.println("fix: unset CGRENDER_DAEMON, or set it to off to run commands without the daemon");
            System.exit(Main.USAGE);
        }
        boolean declined = ServePolicy.declinedAtSight(Arrays.asList(args));
        if (declined && !mode.equals("only")) {
            System.exit(Main.runHere(args)); // no daemon runs it: not even asked
        }
        Optional<DaemonAddress> address = mode.equals("off") ? Optional.empty() : DaemonAddress.of(env);
        // Plain branches, no lambdas: every bit of machinery the JVM need not start is time saved here.
        DaemonClient.Outcome outcome;
        if (address.isEmpty()) {
            outcome = new DaemonClient.Unreachable(mode.equals("off") ? "CGRENDER_DAEMON=off"
                    : "the state directory's path is too long for a socket");
        } else if (Boolean.getBoolean(RECORDING)) {
            // What a front end loads to talk to a daemon belongs in the archive too: a request made, a ping sent.
            request(address.get(), env, args).encode();
            DaemonClient.ping(address.get());
            outcome = new DaemonClient.Unreachable("the launcher records this command's classes");
        } else {
            outcome = DaemonClient.run(address.get(), request(address.get(), env, args));
        }
        if (outcome instanceof DaemonClient.Ran ran) {
            System.exit(ran.exitCode());
        }
        if (mode.equals("only")) {
            System.err.println("error: the cgrender daemon did not run the command: " + why(outcome));
            System.err.println("fix: unset CGRENDER_DAEMON to run it without the daemon");
            System.exit(Main.FAILURE);
        }
        int code = Main.runHere(args);
        if (outcome instanceof DaemonClient.Unreachable && address.isPresent() && !declined) {
            DaemonStarter.start(address.get());
        }
        System.exit(code);
    }

    private static String why(DaemonClient.Outcome outcome) {
        if (outcome instanceof DaemonClient.Declined declined) {
            return declined.why();
        }
        return "no daemon answered (" + ((DaemonClient.Unreachable) outcome).why() + ")";
    }

    /** The command line with this process's environment, its real working directory, and its terminal. */
    static Request request(DaemonAddress address, Map<String, String> env, String[] args) {
        Map<String, String> sent = new HashMap<>(env);
        sent.put("PWD", workingDirectory(env));
        boolean terminal = System.console() != null;
        return new Request(address.build(), Arrays.asList(args), sent, terminal,
                terminal ? io.cgrender.cli.Terminal.ofThisProcess(env).columns() : OptionalInt.empty());
    }

    /** {@code $PWD} when it names this process's working directory (it keeps the user's symbolic links), else that. */
    private static String workingDirectory(Map<String, String> env) {
        String real = System.getProperty("user.dir");
        String pwd = env.get("PWD");
        if (pwd == null || pwd.equals(real)) {
            return real;
        }
        try {
            File given = new File(pwd);
            boolean same = given.isAbsolute() && given.getCanonicalFile().equals(new File(real).getCanonicalFile());
            return same ? pwd : real;
        } catch (IOException e) {
            return real;
        }
    }
}
