package io.cgrender.core.sync;

/**
 * A file's modification time as a box reports it: seconds since the epoch, maybe with a fraction
 * ({@code 1714979289}, {@code 1714979289.7734371220}). Compared exactly, whatever the number of trailing zeros.
 *
 * @param seconds the time with no trailing zeros in its fraction and no empty fraction
 */
record BoxTime(String seconds) {

    /** {@code text} as a time; an {@link IllegalArgumentException} if it is not one. */
    static BoxTime parse(String text) {
        int dot = text.indexOf('.');
        if (text.isEmpty() || dot == 0 || dot == text.length() - 1 || !digits(text, dot)) {
            throw new IllegalArgumentException("not a time: " + text);
        }
        String s = text;
        if (dot > 0) {
            int end = s.length();
            while (s.charAt(end - 1) == '0') {
                end--;
            }
            s = s.substring(0, s.charAt(end - 1) == '.' ? end - 1 : end);
        }
        return new BoxTime(s);
    }

    static BoxTime ofSeconds(long seconds) {
        return new BoxTime(Long.toString(seconds));
    }

    /** Whether it is a time at all: the times of files never recorded (older manifests) are zero. */
    boolean known() {
        return !seconds.equals("0");
    }

    @Override
    public String toString() {
        return seconds;
    }

    private static boolean digits(String text, int dot) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (i != dot && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }
}
