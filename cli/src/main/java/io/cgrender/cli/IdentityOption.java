package io.cgrender.cli;

import io.cgrender.core.box.BoxIdentities;
import io.cgrender.core.ssh.UserIdentity;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code --identity PEM-FILE} of the commands that reach a box ({@code ssh}, {@code rsync}, {@code render},
 * {@code run}): a key of the user's own for an instance adopted with {@code create --instance-id}, offered before the
 * namespace's key. It reaches the connection as the configuration key {@link BoxIdentities#COMMAND_KEY}, the way
 * {@code create --ami} sets the role's image; {@code create --save-defaults} remembers one per instance instead.
 */
public final class IdentityOption {

    @Option(names = "--identity", paramLabel = "PEM-FILE", description = "For an instance adopted with create"
            + " --instance-id: log in with this private key file of yours (mode 0600, e.g. the PEM file of its EC2 key"
            + " pair) besides the namespace's key. Default: the one create --save-defaults remembered for it. Never"
            + " copied or uploaded; ignored, with a warning, for a box cgrender launched.")
    Path identity;

    /** The configuration the option sets, its path made absolute against the invocation's directory. */
    public Map<String, Object> overrides(CommandSpec spec) {
        return identity == null ? Map.of() : Map.of(BoxIdentities.COMMAND_KEY, absolute(spec, identity).toString());
    }

    /** Reads and checks the key file now, so a missing, loose or unreadable file is refused before anything runs. */
    public void check(Session session) {
        if (identity != null) {
            UserIdentity.load(session.cwd().resolve(identity), "--identity");
        }
    }

    /** {@code path} against the working directory of the invocation {@code spec} belongs to. */
    public static Path absolute(CommandSpec spec, Path path) {
        Path cwd = ((CgrenderCommand) spec.root().userObject()).invocation().cwd();
        return cwd.resolve(path).toAbsolutePath().normalize();
    }
}
