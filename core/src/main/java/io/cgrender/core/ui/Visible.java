package io.cgrender.core.ui;

/**
 * Text from outside (a file name, a value) shown in one line of output: what it holds is visible, whatever it is.
 */
public final class Visible {

    private Visible() {
    }

    /**
     * {@code text} in double quotes, with {@code \}, {@code "} and control characters escaped as in Java or C:
     * {@code a<newline>b.scad} becomes {@code "a\nb.scad"}.
     */
    public static String quoted(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
