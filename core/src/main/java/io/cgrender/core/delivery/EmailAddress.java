package io.cgrender.core.delivery;

import io.cgrender.core.UsageException;

import java.util.regex.Pattern;

/** A syntactically valid email address ({@code name@example.com}), checked before anything is launched. */
public record EmailAddress(String address) {

    private static final Pattern LOCAL = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
            + "(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
    private static final Pattern DOMAIN = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+"
            + "[A-Za-z]{2,63}");

    public EmailAddress {
        if (!valid(address)) {
            throw new IllegalArgumentException("not an email address: " + address);
        }
    }

    /**
     * Parses {@code text}, which came from {@code from} (e.g. {@code --email}).
     *
     * @throws UsageException naming {@code from} when it is not an address
     */
    public static EmailAddress parse(String text, String from) {
        String address = text == null ? "" : text.strip();
        if (!valid(address)) {
            throw new UsageException(from + " '" + text + "' is not an email address; write it as name@example.com");
        }
        return new EmailAddress(address);
    }

    /** The part after the {@code @}. */
    public String domain() {
        return address.substring(address.lastIndexOf('@') + 1);
    }

    static boolean valid(String address) {
        if (address == null || address.length() > 254) {
            return false;
        }
        int at = address.lastIndexOf('@');
        if (at < 1 || at != address.indexOf('@') || at - 1 > 63) {
            return false;
        }
        return LOCAL.matcher(address.substring(0, at)).matches()
                && DOMAIN.matcher(address.substring(at + 1)).matches();
    }

    @Override
    public String toString() {
        return address;
    }
}
