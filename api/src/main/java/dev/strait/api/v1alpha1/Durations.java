package dev.strait.api.v1alpha1;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations ("90s", "1h30m", "250ms") as used in Kubernetes resources. */
public final class Durations {
    /** Schema pattern shared by the CRD and the gateway's validation. */
    public static final String PATTERN = "^([0-9]+(ms|s|m|h|d))+$";
    private static final Pattern WHOLE = Pattern.compile(PATTERN);
    private static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h|d)");

    private Durations() {
    }

    /** Parses a duration, or throws IllegalArgumentException naming the accepted form. */
    public static Duration parse(String text) {
        if (text == null || !WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration like 30s, 5m, 4h or 1h30m");
        }
        Duration total = Duration.ZERO;
        Matcher m = PART.matcher(text);
        try {
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> throw new IllegalStateException(m.group(2));
                });
            }
        } catch (ArithmeticException e) { // NumberFormatException (too many digits) is an IllegalArgumentException
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        return total;
    }

    /** The shortest text {@link #parse} reads back as {@code d} (whole milliseconds), e.g. "10s", "1h30m", "365d". */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long ms = d.toMillis();
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
        String[] names = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < units.length; i++) {
            if (ms >= units[i]) {
                out.append(ms / units[i]).append(names[i]);
                ms %= units[i];
            }
        }
        return out.toString();
    }
}
