package dev.strait.e2e.support;

import java.time.Duration;

/** Polls a probe until it returns non-null: the end-to-end tests wait for daemons, never sleep a fixed time. */
public final class Await {
    public static final Duration DEFAULT = Duration.ofSeconds(40);

    private Await() {
    }

    /** A check that may fail while the system converges; null means "not yet". */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    public static <T> T await(Probe<T> probe, String what) {
        return await(probe, DEFAULT, what);
    }

    public static <T> T await(Probe<T> probe, Duration timeout, String what) {
        return await(probe, timeout, Duration.ofMillis(250), what);
    }

    /** With another polling period, e.g. a short one where the test measures how long the wait took. */
    public static <T> T await(Probe<T> probe, Duration timeout, Duration period, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                T v = probe.get();
                if (v != null) {
                    return v;
                }
            } catch (Exception e) {
                last = e;
            }
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting until " + what, e);
            }
        }
        throw new AssertionError("timed out waiting until " + what + (last == null ? "" : " (last error: " + last + ")"));
    }
}
