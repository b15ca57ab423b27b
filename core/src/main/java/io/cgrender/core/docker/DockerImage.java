package io.cgrender.core.docker;

import io.cgrender.core.UsageException;

import java.util.regex.Pattern;

/**
 * An image reference as Docker takes it: {@code [REGISTRY[:PORT]/]PATH[:TAG][@DIGEST]}, e.g. {@code busybox},
 * {@code ubuntu:24.04}, {@code ghcr.io/owner/tool:1.2}, {@code localhost:5000/x@sha256:…}. Checked against Docker's
 * grammar before anything is launched, so a typo is refused at once rather than by the box.
 */
public record DockerImage(String reference) {

    private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final Pattern DOMAIN = Pattern.compile(DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT
            + ")*(?::[0-9]+)?");
    private static final Pattern PATH = Pattern.compile(PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
            + ":[0-9a-fA-F]{32,}");
    private static final int MAX_NAME = 255;

    /** {@code reference} if it is a valid image reference; a {@link UsageException} saying why not otherwise. */
    public static DockerImage parse(String reference) {
        String why = problem(reference);
        if (why != null) {
            throw new UsageException("--docker '" + reference + "' is not an image reference: " + why)
                    .fix("name an image as Docker does, e.g. --docker ubuntu:24.04 or --docker ghcr.io/owner/tool:1.2");
        }
        return new DockerImage(reference);
    }

    /** Why {@code reference} is no image reference, or null if it is one. */
    private static String problem(String reference) {
        if (reference.isEmpty()) {
            return "it is empty";
        }
        String name = reference;
        int at = name.indexOf('@');
        if (at >= 0) {
            if (!DIGEST.matcher(name.substring(at + 1)).matches()) {
                return "the digest after '@' is not ALGORITHM:HEX";
            }
            name = name.substring(0, at);
        }
        int lastSlash = name.lastIndexOf('/');
        int colon = name.lastIndexOf(':');
        if (colon > lastSlash) {
            if (!TAG.matcher(name.substring(colon + 1)).matches()) {
                return "the tag after ':' may have letters, digits, '_', '.' and '-' (up to 128, not first '.' or '-')";
            }
            name = name.substring(0, colon);
        }
        if (name.length() > MAX_NAME) {
            return "the name is longer than " + MAX_NAME + " characters";
        }
        int slash = name.indexOf('/');
        String first = slash < 0 ? "" : name.substring(0, slash);
        if (slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"))) {
            if (!DOMAIN.matcher(first).matches()) {
                return "'" + first + "' is not a registry host[:port]";
            }
            name = name.substring(slash + 1);
        }
        if (!PATH.matcher(name).matches()) {
            return "a name is lower-case letters and digits, in parts joined by '.', '_', '__' or '-', separated"
                    + " by '/'";
        }
        return null;
    }

    @Override
    public String toString() {
        return reference;
    }
}
