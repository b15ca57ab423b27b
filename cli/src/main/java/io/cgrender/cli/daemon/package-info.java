/**
 * The warm path: a per-user background process (the daemon) that runs cgrender commands for a thin front end, so
 * that a command does not pay for a JVM's start, picocli's models, the configuration and cold code every time.
 * <p>
 * {@link io.cgrender.cli.daemon.FrontEnd} is the launcher's main class. It hands its command line, environment and
 * terminal to the daemon over a Unix domain socket and relays the output, exit code and Ctrl-C; when there is no
 * daemon (the first run, {@code CGRENDER_DAEMON=off}, a dead or hung one, another build's) or the daemon declines the
 * command (one that needs the terminal, such as {@code ssh}), it runs the command itself, at once. The daemon
 * ({@link io.cgrender.cli.daemon.Daemon}) starts on demand after such a run and ends after
 * {@code cgrender.daemon.idle-timeout} without a command.
 * <p>
 * One daemon serves one user, build, state directory and environment: its socket's name is a digest of them, in a
 * {@code 0700} directory of the state directory, itself {@code 0600}; the daemon also checks the peer's user.
 */
package io.cgrender.cli.daemon;
