package io.cgrender.core.agent;

import io.cgrender.core.UsageException;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A command to a box's agent. On the wire it is one line of ASCII, {@code NAME[ ARGUMENT]}: {@code sync-keys},
 * {@code ping NONCE}, {@code extend DURATION} (ISO-8601, e.g. {@code PT2H}), {@code keep}, {@code release},
 * {@code stop}, {@code terminate}. A message is only a trigger: the agent never takes a key, a path or a command from
 * it, and ignores (and logs) any line that is not exactly one of these.
 * <p>
 * The lifetime commands: {@code extend} moves the box's expiry (its max lifetime's end) later, to at most the box's
 * max lifetime from now; {@code keep} makes the box end itself neither at its expiry nor by its idle timer until
 * {@code release}, which makes both count again: the expiry it had before (never sooner than its idle timeout from
 * now), and the idle timer from the release. They come from the cloud's channel or from inside the box
 * ({@code cgrender-box}), to the same agent.
 *
 * @param name     what to do
 * @param argument the nonce of a ping, the duration of an extension; empty for the others
 */
public record AgentCommand(Name name, Optional<String> argument) {

    private static final Pattern NONCE = Pattern.compile("[A-Za-z0-9-]{1,64}");

    /** The commands an agent knows. */
    public enum Name {
        SYNC_KEYS, PING, EXTEND, KEEP, RELEASE, STOP, TERMINATE;

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

    /** Moves the expiry {@code by} later (whole seconds: what is less is dropped). */
    public static AgentCommand extend(Duration by) {
        Duration whole = by.truncatedTo(ChronoUnit.SECONDS);
        if (whole.isNegative() || whole.isZero()) {
            throw new UsageException("cannot extend a box's life by " + by + ": give a positive duration, e.g. 2h");
        }
        return new AgentCommand(Name.EXTEND, Optional.of(whole.toString()));
    }

    /** The box ends itself neither at its expiry nor by its idle timer, until {@link #release()}. */
    public static AgentCommand keep() {
        return new AgentCommand(Name.KEEP, Optional.empty());
    }

    /** Ends {@link #keep()}: the expiry counts again (never sooner than the idle timeout from now), and the idle timer. */
    public static AgentCommand release() {
        return new AgentCommand(Name.RELEASE, Optional.empty());
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
                case "keep" -> words.length == 1 ? Optional.of(keep()) : Optional.empty();
                case "release" -> words.length == 1 ? Optional.of(release()) : Optional.empty();
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
