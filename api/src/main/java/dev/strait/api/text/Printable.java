package dev.strait.api.text;

/**
 * Makes untrusted text safe to put in a log line or an error message: control characters (CR/LF forge log lines,
 * ESC drives terminals) and Unicode line separators become visible escapes, and long text is cut so that one request
 * or file cannot fill a log or a response body.
 */
public final class Printable {
    /** Longer text is cut to this many characters by {@link #clip}. */
    public static final int DEFAULT_LIMIT = 64;

    private Printable() {
    }

    /** {@code text} with every control or line/paragraph separator character escaped (\n, \r, \t, \\uXXXX). */
    public static String escape(String text) {
        if (text == null) {
            return "null";
        }
        if (text.chars().noneMatch(Printable::needsEscape)) {
            return text; // the common case: no copy
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.chars().forEach(c -> {
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.append((char) c);
                    }
                }
            }
        });
        return out.toString();
    }

    /** {@link #escape escaped} and cut to {@link #DEFAULT_LIMIT} characters, saying how long it was when cut. */
    public static String clip(String text) {
        return clip(text, DEFAULT_LIMIT);
    }

    /** {@link #escape escaped} and cut to {@code limit} characters, saying how long it was when cut. */
    public static String clip(String text, int limit) {
        if (text != null && text.length() > limit) {
            return escape(text.substring(0, limit)) + "...(" + text.length() + " chars)";
        }
        return escape(text);
    }

    private static boolean needsEscape(int c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085'
                || Character.getType(c) == Character.FORMAT; // bidi overrides and zero-width characters
    }
}
