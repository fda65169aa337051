package dev.strait.gateway.ike.message;

/** Text from the wire made safe for a log line or a status field: control characters escaped, length capped. */
public final class LogSafe {
    /** Longer peer-supplied strings are cut: a 60 KB identity must not become a 60 KB log line. */
    static final int MAX_LENGTH = 256;

    private LogSafe() {
    }

    /** CR, LF, ESC and every other control character (C0, DEL, C1) become {@code \xNN}; null stays "null". */
    public static String text(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_LENGTH) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= MAX_LENGTH) {
                return b.append("...(").append(s.length()).append(" chars)").toString();
            }
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\\') {
                b.append(c == '\\' ? "\\\\" : String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
