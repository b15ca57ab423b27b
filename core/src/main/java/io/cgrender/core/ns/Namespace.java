package io.cgrender.core.ns;

import io.cgrender.core.UsageException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A namespace such as {@code /alice/} or {@code /team/ci/}: every resource cgrender creates lives in exactly one,
 * so two users (or two projects) sharing an account never see or touch each other's boxes.
 * <p>
 * A namespace starts and ends with {@code /}; each component matches {@code [0-9a-z][0-9a-z._-]*}. The component
 * {@code __me__} stands for the local user name and is expanded when the namespace is parsed.
 * <p>
 * {@link #encoded()} turns it into a name usable where AWS allows no slashes (key pairs, security groups, IAM):
 * {@code /alice/ci/} becomes {@code _alice_ci_}; an underscore inside a component is doubled ({@code /a_b/} becomes
 * {@code _a__b_}). Components never start with {@code _}, so reading pairs of underscores first makes
 * {@link #decode} exact.
 */
public final class Namespace {

    public static final String ME = "__me__";
    public static final String DEFAULT = "/" + ME + "/";
    private static final Pattern COMPONENT = Pattern.compile("[0-9a-z][0-9a-z._-]*");
    private static final String RULE = "a namespace looks like /name/ or /a/b/: it starts and ends with '/', and each"
            + " component is lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
            + " (__me__ stands for your user name)";

    private final List<String> components;

    private Namespace(List<String> components) {
        this.components = List.copyOf(components);
    }

    /** Parses and validates {@code text}, expanding {@code __me__} to {@code userName}. */
    public static Namespace parse(String text, String userName) {
        if (text == null || text.isEmpty()) {
            throw new UsageException("empty namespace; " + RULE);
        }
        if (!text.startsWith("/") || !text.endsWith("/")) {
            throw new UsageException("invalid namespace '" + text + "': " + RULE);
        }
        if (text.equals("/")) {
            throw new UsageException("invalid namespace '/': the root namespace is not allowed; " + RULE);
        }
        List<String> parts = new ArrayList<>();
        for (String part : text.substring(1, text.length() - 1).split("/", -1)) {
            if (part.equals(ME)) {
                part = userComponent(userName);
            } else if (!COMPONENT.matcher(part).matches()) {
                throw new UsageException("invalid namespace '" + text + "': component '" + part + "' is not allowed; "
                        + RULE);
            }
            parts.add(part);
        }
        return new Namespace(parts);
    }

    /** The local user name as a namespace component, or an error saying how to pick a namespace instead. */
    private static String userComponent(String userName) {
        String name = userName == null ? "" : userName.toLowerCase(Locale.ROOT);
        if (!COMPONENT.matcher(name).matches()) {
            throw new UsageException("__me__ cannot stand for the user name '" + userName + "': it is not a valid"
                    + " namespace component; pass -n /yourname/ or set CGRENDER_NAMESPACE");
        }
        return name;
    }

    /** The inverse of {@link #encoded()}. */
    public static Namespace decode(String encoded) {
        if (encoded == null || encoded.length() < 3 || !encoded.startsWith("_") || !encoded.endsWith("_")) {
            throw new IllegalArgumentException("not an encoded namespace: " + encoded);
        }
        StringBuilder text = new StringBuilder("/");
        for (int i = 1; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '_' && i + 1 < encoded.length() && encoded.charAt(i + 1) == '_') {
                text.append('_');
                i++;
            } else {
                text.append(c == '_' ? '/' : c);
            }
        }
        return parse(text.toString(), null);
    }

    /** The AWS-safe form: {@code /alice/ci/} becomes {@code _alice_ci_}, {@code /a_b/} becomes {@code _a__b_}. */
    public String encoded() {
        StringBuilder out = new StringBuilder("_");
        for (String component : components) {
            out.append(component.replace("_", "__")).append('_');
        }
        return out.toString();
    }

    /** A resource name inside this namespace, e.g. {@code _alice_openscad-ubuntu-box}. */
    public String resourceName(String name) {
        return encoded() + name;
    }

    public List<String> components() {
        return components;
    }

    @Override
    public String toString() {
        return "/" + String.join("/", components) + "/";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Namespace other && other.components.equals(components);
    }

    @Override
    public int hashCode() {
        return components.hashCode();
    }
}
