package io.cgrender.core.ssh;

import java.util.List;
import java.util.stream.Collectors;

/** Quoting for POSIX shells, for building remote command lines from arbitrary words. */
public final class Shell {

    private Shell() {
    }

    /** {@code word} as one shell word: unchanged when it is plainly safe, otherwise in single quotes. */
    public static String quote(String word) {
        if (!word.isEmpty() && word.matches("[A-Za-z0-9_./=@:,+%^-]+")) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** The words quoted and joined with spaces. */
    public static String join(List<String> words) {
        return words.stream().map(Shell::quote).collect(Collectors.joining(" "));
    }
}
