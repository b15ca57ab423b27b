package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;

import java.util.regex.Pattern;

/**
 * A place in S3: a bucket and a key prefix, which is empty or ends with {@code /}. Written {@code s3://bucket/prefix/}.
 * A namespace's part of a location is one component, its {@linkplain Namespace#encoded() encoded}
 * name ({@code _team_ci_/}); a prefix the user chooses may not contain such a component, so that no namespace's part
 * of any location lies inside another's.
 */
record S3Location(String bucket, String prefix) {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");

    S3Location {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("a prefix ends with /: " + prefix);
        }
    }

    /**
     * Parses {@code s3://bucket[/prefix]} as given with {@code from} (e.g. {@code -o}).
     *
     * @throws UsageException for anything else, or a bucket name S3 would refuse
     */
    static S3Location parse(String text, String from) {
        String t = text.strip();
        if (!t.startsWith("s3://")) {
            throw new UsageException(from + " '" + text + "': results on EC2 go to S3; write the location as"
                    + " s3://bucket or s3://bucket/prefix");
        }
        String rest = t.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+", "/").replaceAll("^/|/$", "");
        String problem = bucketProblem(bucket);
        if (problem != null) {
            throw new UsageException(from + " '" + text + "': '" + bucket + "' is not a valid S3 bucket name ("
                    + problem + ")");
        }
        return new S3Location(bucket, prefix.isEmpty() ? "" : prefix + "/");
    }

    /**
     * Parses a results location the user gives ({@code -o}, {@code cgrender.results.location}), which may not contain
     * a component that names a namespace ({@code _…_}).
     */
    static S3Location given(String text, String from) {
        S3Location location = parse(text, from);
        for (String component : location.prefix().split("/")) {
            if (component.length() > 1 && component.startsWith("_") && component.endsWith("_")) {
                throw new UsageException(from + " '" + text + "': the component '" + component + "' is how cgrender"
                        + " names a namespace's part of a location; choose a prefix without it");
            }
        }
        return location;
    }

    /** Why S3 would refuse {@code name} as a bucket name, or null. */
    static String bucketProblem(String name) {
        if (name.length() < 3 || name.length() > 63) {
            return "3 to 63 characters";
        }
        if (!BUCKET.matcher(name).matches()) {
            return "lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit";
        }
        if (name.contains("..") || IP.matcher(name).matches()) {
            return "no two dots in a row, and not an IP address";
        }
        return null;
    }

    /** The key of {@code path} below this location. */
    String key(String path) {
        return prefix + path;
    }

    /** The part of this location that belongs to {@code namespace}: {@code <prefix><encoded namespace>/}. */
    S3Location of(Namespace namespace) {
        return resolve(namespace.encoded());
    }

    /** This location with {@code path/} added to its prefix. */
    S3Location resolve(String path) {
        String p = path.replaceAll("^/+|/+$", "");
        return p.isEmpty() ? this : new S3Location(bucket, prefix + p + "/");
    }

    /** The URI of the object {@code key} (a full key). */
    String uriOf(String key) {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + prefix;
    }
}
