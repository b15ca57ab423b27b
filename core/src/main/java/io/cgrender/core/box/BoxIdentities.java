package io.cgrender.core.box;

import com.typesafe.config.ConfigUtil;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.UserIdentity;
import io.cgrender.core.ui.Console;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which key of the user's own a connection to a box offers besides the namespace's: for an instance cgrender adopted
 * ({@code create --instance-id}), the one the command names ({@code --identity}, which sets {@link #COMMAND_KEY}),
 * else the one remembered for that instance ({@code cgrender.boxes."ID".identity}, which {@code create
 * --save-defaults} writes). A box cgrender launched itself accepts the namespace's key: it is never offered the user's
 * key, and a command that names one says so and goes on without it.
 */
public final class BoxIdentities {

    /** The configuration key {@code --identity} sets for one command. */
    public static final String COMMAND_KEY = Settings.ROOT + ".identity";

    /** Boxes already told about, so a command that connects several times says it once. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private BoxIdentities() {
    }

    /** {@code cgrender.boxes."ID".identity}: the key file remembered for instance {@code id}. */
    public static String boxKey(String id) {
        return ConfigUtil.joinPath(Settings.ROOT, "boxes", id, "identity");
    }

    /** The key file this command names with {@code --identity}, if it names one. */
    public static Optional<Path> commandIdentity(Settings settings) {
        return path(settings, COMMAND_KEY);
    }

    /** The user's key to offer {@code machine} after the namespace's, if any, read and checked. */
    public static Optional<UserIdentity> forMachine(Settings settings, Machine machine, Console console) {
        Optional<Path> given = commandIdentity(settings);
        String remembered = boxKey(machine.id());
        if (!"true".equals(machine.tags().get(Tags.ADOPTED))) {
            if ((given.isPresent() || settings.has(remembered)) && WARNED.add(machine.id())) {
                console.warn("ignoring " + (given.isPresent() ? "--identity" : remembered) + ": box " + machine.id()
                        + " was launched by cgrender and accepts the namespace's key; a key of your own is offered"
                        + " only to instances adopted with create --instance-id");
            }
            return Optional.empty();
        }
        if (given.isPresent()) {
            return Optional.of(UserIdentity.load(given.get(), "--identity"));
        }
        return path(settings, remembered).map(file -> UserIdentity.load(file, remembered));
    }

    private static Optional<Path> path(Settings settings, String key) {
        return settings.has(key) ? Optional.of(settings.string(key)).filter(s -> !s.isBlank()).map(Path::of)
                : Optional.empty();
    }
}
