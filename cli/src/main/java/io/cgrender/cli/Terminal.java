package io.cgrender.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What a command's standard output goes to, as far as the shape of the output is concerned: a terminal, and how many
 * columns it has, or a pipe or a file (then nothing is shortened and no symbols are drawn).
 */
public final class Terminal {

    private static final long STTY_TIMEOUT_MS = 500;

    private final boolean attached;
    private final Supplier<OptionalInt> columns;
    private OptionalInt knownColumns;

    private Terminal(boolean attached, Supplier<OptionalInt> columns) {
        this.attached = attached;
        this.columns = columns;
    }

    /**
     * This process's: a terminal when standard input and output are one; its width from {@code $COLUMNS}, else from
     * {@code stty size} of {@code /dev/tty}, asked when first needed.
     */
    public static Terminal ofThisProcess(Map<String, String> env) {
        boolean attached = System.console() != null;
        return new Terminal(attached, () -> {
            if (!attached) {
                return OptionalInt.empty();
            }
            OptionalInt fromEnv = parse(env.get("COLUMNS"));
            return fromEnv.isPresent() ? fromEnv : stty();
        });
    }

    /** A terminal someone else looked at (a front end that hands its command over). */
    public static Terminal of(boolean attached, OptionalInt columns) {
        OptionalInt width = attached ? columns : OptionalInt.empty();
        return new Terminal(attached, () -> width);
    }

    /** Whether standard output (and input) is a terminal, rather than a pipe or a file. */
    public boolean attached() {
        return attached;
    }

    /** The terminal's width; empty when output does not go to a terminal, or its width cannot be told. */
    public synchronized OptionalInt columns() {
        if (knownColumns == null) {
            knownColumns = columns.get();
        }
        return knownColumns;
    }

    private static OptionalInt stty() {
        try {
            Process p = new ProcessBuilder("sh", "-c", "stty size < /dev/tty").redirectErrorStream(true).start();
            if (!p.waitFor(STTY_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return OptionalInt.empty();
            }
            String[] size = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("\\s+");
            return p.exitValue() == 0 && size.length == 2 ? parse(size[1]) : OptionalInt.empty();
        } catch (IOException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }

    static OptionalInt parse(String text) {
        try {
            int n = text == null ? 0 : Integer.parseInt(text.strip());
            return n > 0 ? OptionalInt.of(n) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
