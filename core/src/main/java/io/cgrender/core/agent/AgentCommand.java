package io.cgrender.core.agent;

import io.cgrender.core.UsageException;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A command to a box's agent. On the wire it is one line of ASCII, {@code NAME[ ARGUMENT]}: {@code sync-keys},
 * {@code ping NONCE}, {@code extend DURATION} (ISO-8601, e.g. {@code PT2H}), {@code stop}, {@code terminate}. A message
 * is only a trigger: the agent never takes a key, a path or a command from it, and ignores (and logs) any line that is
 * not exactly one of these.
 *
 * @param name     what to do
 * @param argument the nonce of a ping, the duration of an extension; empty for the others
 */
public record AgentCommand(Name name, Optional<String> argument) {

    private static final Pattern NONCE = Pattern.compile("[A-Za-z0-9-]{1,64}");

    /** The commands an agent knows. */
    public enum Name {
        SYNC_KEYS, PING, EXTEND, STOP, TERMINATE;

        public String word() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public static AgentCommand syncKeys() {
        return new AgentCommand(Name.SYNC_KEYS, Optional.empty());
    }

    public static AgentCommand ping(String nonce) {
        if (!NONCE.matcher(nonce).matches()) {
            throw new IllegalArgumentException("not a ping nonce: " + nonce);
        }
        return new AgentCommand(Name.PING, Optional.of(nonce));
    }

    public static AgentCommand extend(Duration by) {
        if (by.isNegative() || by.isZero()) {
            throw new UsageException("cannot extend a box's life by " + by + ": give a positive duration, e.g. 2h");
        }
        return new AgentCommand(Name.EXTEND, Optional.of(by.toString()));
    }

    public static AgentCommand stop() {
        return new AgentCommand(Name.STOP, Optional.empty());
    }

    public static AgentCommand terminate() {
        return new AgentCommand(Name.TERMINATE, Optional.empty());
    }

    /** The line sent to the agent. */
    public String line() {
        return name.word() + argument.map(a -> " " + a).orElse("");
    }

    /** The command {@code line} names, if it is exactly one of them (what an agent written in Java accepts). */
    public static Optional<AgentCommand> parse(String line) {
        String[] words = line.strip().split(" ", -1);
        try {
            return switch (words[0]) {
                case "sync-keys" -> words.length == 1 ? Optional.of(syncKeys()) : Optional.empty();
                case "stop" -> words.length == 1 ? Optional.of(stop()) : Optional.empty();
                case "terminate" -> words.length == 1 ? Optional.of(terminate()) : Optional.empty();
                case "ping" -> words.length == 2 ? Optional.of(ping(words[1])) : Optional.empty();
                case "extend" -> words.length == 2 ? Optional.of(extend(Duration.parse(words[1]))) : Optional.empty();
                default -> Optional.empty();
            };
        } catch (RuntimeException notACommand) {
            return Optional.empty();
        }
    }
}
