package io.cgrender.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * How many columns the terminal standard output goes to has: {@code $COLUMNS}, else what {@code stty size} says of
 * {@code /dev/tty}. Empty when standard output is not a terminal (a pipe, a file): then nothing is shortened.
 */
public final class TerminalWidth {

    private static final long STTY_TIMEOUT_MS = 500;

    private TerminalWidth() {
    }

    /** Whether standard output (and input) is a terminal, rather than a pipe or a file. */
    public static boolean isTerminal() {
        return System.console() != null;
    }

    static OptionalInt current() {
        if (!isTerminal()) {
            return OptionalInt.empty();
        }
        OptionalInt columns = parse(System.getenv("COLUMNS"));
        return columns.isPresent() ? columns : stty();
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
