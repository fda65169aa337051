package dev.strait.gateway.ike.sa;

import java.time.Duration;
import java.time.Instant;

/**
 * Time and timers of the IKE engine: every retransmission, lifetime, liveness check, back-off and timestamp reads it.
 * Injected, so the engine can run on a clock the caller moves (tests) as well as on the system's.
 */
public interface Clock extends AutoCloseable {
    /** A queued task; cancelling a timer that ran or was cancelled does nothing. */
    interface Timer {
        void cancel();

        /** It ran (a one-shot timer) or was cancelled. */
        boolean done();
    }

    /** Wall-clock time, for timestamps shown in the status and the lifetimes of SAs. */
    Instant now();

    /** Monotonic time in nanoseconds, for intervals. */
    long nanoTime();

    /** Runs task once, after delay, on the clock's timer thread (the task must hand real work to an executor). */
    Timer after(Duration delay, Runnable task);

    /** Runs task every period, first after one period. */
    Timer every(Duration period, Runnable task);

    @Override
    void close();

    /** The system's clock with one timer thread. */
    static Clock system() {
        return new SystemClock();
    }
}
