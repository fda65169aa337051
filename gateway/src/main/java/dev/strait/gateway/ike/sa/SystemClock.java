package dev.strait.gateway.ike.sa;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The system clock, with one timer thread for every SA's retransmissions, rekeys and liveness checks. Cancelled tasks
 * leave the queue at once: without that, each deleted SA stayed reachable (keys included) from its rekey timer until
 * the timer's original deadline, hours later, so SA churn grew the heap without bound.
 */
final class SystemClock implements Clock {
    private final ScheduledThreadPoolExecutor timers;

    SystemClock() {
        timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "ike-timers");
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
    }

    private record FutureTimer(Future<?> future) implements Timer {
        @Override
        public void cancel() {
            future.cancel(false);
        }

        @Override
        public boolean done() {
            return future.isDone();
        }
    }

    @Override
    public Instant now() {
        return Instant.now();
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Timer after(Duration delay, Runnable task) {
        return new FutureTimer(timers.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS));
    }

    @Override
    public Timer every(Duration period, Runnable task) {
        long ns = period.toNanos();
        return new FutureTimer(timers.scheduleAtFixedRate(task, ns, ns, TimeUnit.NANOSECONDS));
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }
}
