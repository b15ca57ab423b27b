package io.cgrender.core.job;

import io.cgrender.core.UsageException;
import io.cgrender.core.ui.Visible;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which files a {@code run} job brings back ({@code --outputs GLOB}): paths relative to the job's work directory on
 * the box. {@code *} is any run of characters within one path component (names starting with a dot too), {@code ?}
 * one such character, {@code **} as a whole component any number of directories, none included; every other
 * character stands for itself ({@code [} and <code>{</code> too). A glob that names a directory names everything below
 * it: {@code out}, {@code out/} and {@code out/**} are the same. A glob may not leave the work directory: an absolute
 * one, one starting with {@code ~} and one with a {@code ..} component are refused.
 * <p>
 * The box matches with GNU find's {@code -regex} in POSIX extended syntax ({@link #findRegex()}, matched against
 * {@code ./PATH}); the expression is written so that it means the same as a Java regular expression, which
 * {@link #matches} uses.
 */
public final class OutputGlobs {

    private final List<String> globs;
    private final String regex;
    private final Pattern pattern;

    private OutputGlobs(List<String> globs, String regex) {
        this.globs = List.copyOf(globs);
        this.regex = regex;
        this.pattern = Pattern.compile(regex, Pattern.DOTALL);
    }

    /** The globs as given, each checked; bad input names the glob and why. */
    public static OutputGlobs parse(List<String> given) {
        if (given.isEmpty()) {
            throw new IllegalArgumentException("no globs");
        }
        List<String> alternatives = new ArrayList<>();
        for (String glob : given) {
            alternatives.add(translate(glob, components(glob)));
        }
        return new OutputGlobs(given, "\\./(" + String.join("|", alternatives) + ")(/.*)?");
    }

    /** The globs as the user gave them. */
    public List<String> globs() {
        return globs;
    }

    /** One POSIX extended regular expression for {@code find . -regextype posix-extended -regex}. */
    public String findRegex() {
        return regex;
    }

    /** Whether {@code path} (relative to the work directory, '/'-separated) is one of the files the globs name. */
    public boolean matches(String path) {
        return pattern.matcher("./" + path).matches();
    }

    @Override
    public String toString() {
        return String.join(", ", globs);
    }

    /** The glob's path components without {@code .} and empty ones, or bad input saying what is wrong. */
    private static List<String> components(String glob) {
        String shown = "--outputs " + Visible.quoted(glob);
        if (glob.isBlank()) {
            throw new UsageException("--outputs needs a glob, e.g. --outputs 'out/**'");
        }
        if (glob.indexOf('\n') >= 0 || glob.indexOf('\0') >= 0) {
            throw new UsageException(shown + ": a glob cannot hold a line break");
        }
        if (glob.indexOf('\\') >= 0) {
            throw new UsageException(shown + ": globs have no escapes and no backslashes; use ? for a character"
                    + " that is hard to type");
        }
        if (glob.startsWith("/") || glob.startsWith("~")) {
            throw new UsageException(shown + " is outside the job's work directory; globs are relative to it,"
                    + " e.g. --outputs 'out/**'");
        }
        List<String> parts = new ArrayList<>();
        for (String part : glob.split("/")) {
            if (part.equals("..")) {
                throw new UsageException(shown + " leaves the job's work directory (..); globs are relative to it,"
                        + " e.g. --outputs 'out/**'");
            }
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            // a**b is a*b; ** and a run of them are "any directories"
            if (part.equals("**") && !parts.isEmpty() && parts.get(parts.size() - 1).equals("**")) {
                continue;
            }
            parts.add(part);
        }
        if (parts.isEmpty()) {
            throw new UsageException(shown + " names the whole work directory; to bring back every file the command"
                    + " creates or changes, say --outputs '**'");
        }
        // out/** is out: a directory named stands for everything below it
        if (parts.size() > 1 && parts.get(parts.size() - 1).equals("**")) {
            parts.remove(parts.size() - 1);
        }
        return parts;
    }

    private static String translate(String glob, List<String> parts) {
        StringBuilder r = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            boolean last = i == parts.size() - 1;
            if (part.equals("**")) {
                r.append(last ? ".*" : "(.*/)?");
                continue;
            }
            for (int k = 0; k < part.length(); k++) {
                char c = part.charAt(k);
                switch (c) {
                    case '*' -> r.append("[^/]*");
                    case '?' -> r.append("[^/]");
                    // Special in both dialects; escaped, each is itself in both. ] and } alone are plain in both.
                    case '.', '[', '(', ')', '+', '{', '|', '^', '$' -> r.append('\\').append(c);
                    default -> r.append(c);
                }
            }
            if (!last) {
                r.append('/');
            }
        }
        return r.toString();
    }
}
