package dev.strait.gateway.ike.sa;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/**
 * A clock that moves only when told: {@link #advance} runs the timers that fall due, in order, on the caller's thread
 * (engine timers only hand work to an SA's executor). Shared by every engine of a test, so their times agree; closing
 * an engine does not close it.
 */
public final class FakeClock implements Clock {
    private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

    private final class Task implements Timer, Comparable<Task> {
        final Runnable run;
        final long period;
        final long seq;
        long due;
        volatile boolean cancelled;
        volatile boolean ran;

        Task(Runnable run, long due, long period, long seq) {
            this.run = run;
            this.due = due;
            this.period = period;
            this.seq = seq;
        }

        @Override
        public void cancel() {
            cancelled = true;
            synchronized (FakeClock.this) {
                queue.remove(this);
            }
        }

        @Override
        public boolean done() {
            return cancelled || ran && period == 0;
        }

        @Override
        public int compareTo(Task o) {
            return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long nanos;
    private long seq;

    @Override
    public Instant now() {
        return EPOCH.plusNanos(nanoTime());
    }

    @Override
    public synchronized long nanoTime() {
        return nanos;
    }

    @Override
    public synchronized Timer after(Duration delay, Runnable task) {
        Task t = new Task(task, nanos + Math.max(0, delay.toNanos()), 0, seq++);
        queue.add(t);
        return t;
    }

    @Override
    public synchronized Timer every(Duration period, Runnable task) {
        Task t = new Task(task, nanos + period.toNanos(), period.toNanos(), seq++);
        queue.add(t);
        return t;
    }

    /** Moves time forward by d, running every timer due on the way at its own time. */
    public void advance(Duration d) {
        long target;
        synchronized (this) {
            target = nanos + d.toNanos();
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.due > target) {
                    nanos = Math.max(nanos, target);
                    return;
                }
                queue.poll();
                nanos = Math.max(nanos, next.due);
            }
            if (!next.cancelled) {
                next.ran = true;
                next.run.run();
                if (next.period > 0 && !next.cancelled) {
                    synchronized (this) {
                        next.due += next.period;
                        queue.add(next);
                    }
                }
            }
        }
    }

    /** Timers queued and not cancelled: a replaced SA must leave none behind. */
    public synchronized int pending() {
        return (int) queue.stream().filter(t -> !t.cancelled).count();
    }

    /** The engines share this clock: the test owns it, so closing an engine leaves it running. */
    @Override
    public void close() {
    }
}
