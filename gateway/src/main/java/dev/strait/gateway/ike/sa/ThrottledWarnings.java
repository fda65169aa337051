package dev.strait.gateway.ike.sa;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * WARN lines about input anyone can send (drops, refused IKE_SA_INITs), at most one per reason per period, so a flood
 * cannot flood the log: the next line after a quiet period says how many were suppressed meanwhile. Thread-safe.
 */
final class ThrottledWarnings {
    static final long PERIOD_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Logger log;
    private final LongSupplier clock;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        long openedAt;
        boolean open;
        long suppressed;
    }

    ThrottledWarnings(Logger log) {
        this(log, System::nanoTime);
    }

    ThrottledWarnings(Logger log, LongSupplier clock) {
        this.log = log;
        this.clock = clock;
    }

    /**
     * Logs {@code format} (SLF4J style) unless a line for {@code reason} was logged less than a period ago; wire-borne
     * strings among {@code args} must already be escaped ({@link dev.strait.gateway.ike.message.LogSafe#text}). Returns whether it logged.
     */
    boolean warn(String reason, String format, Object... args) {
        long suppressed;
        Window w = windows.computeIfAbsent(reason, r -> new Window());
        synchronized (w) {
            long now = clock.getAsLong();
            if (w.open && now - w.openedAt < PERIOD_NANOS) {
                w.suppressed++;
                return false;
            }
            suppressed = w.suppressed;
            w.open = true;
            w.openedAt = now;
            w.suppressed = 0;
        }
        if (suppressed == 0) {
            log.warn(format, args);
        } else {
            log.warn(format + " ({} more like this suppressed)", append(args, suppressed));
        }
        return true;
    }

    private static Object[] append(Object[] args, Object last) {
        Object[] out = java.util.Arrays.copyOf(args, args.length + 1);
        out[args.length] = last;
        return out;
    }
}
