package io.cgrender.core.plugin;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A version of cgrender's plugin API, {@code MAJOR.MINOR}. The major version changes when something plugins may rely
 * on changes incompatibly; the minor version when something is added. A plugin built for {@code M.m} runs on a
 * cgrender supporting {@code M.n} with {@code m <= n}: same major version, and nothing newer than this cgrender has.
 */
public record ApiVersion(int major, int minor) implements Comparable<ApiVersion> {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,4})(?:\\.(\\d{1,4}))?");

    /** The plugin API this cgrender supports. */
    public static final ApiVersion CURRENT = new ApiVersion(1, 3);

    /** {@code "1"} or {@code "1.0"}; empty when {@code text} is neither. */
    public static java.util.Optional<ApiVersion> parse(String text) {
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            return java.util.Optional.empty();
        }
        int minor = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        return java.util.Optional.of(new ApiVersion(Integer.parseInt(m.group(1)), minor));
    }

    /** Whether a plugin built for this version runs on a cgrender supporting {@code supported}. */
    public boolean runsOn(ApiVersion supported) {
        return major == supported.major && minor <= supported.minor;
    }

    @Override
    public int compareTo(ApiVersion other) {
        return major != other.major ? Integer.compare(major, other.major) : Integer.compare(minor, other.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
