package dev.strait.gateway.ike.sa;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every timer one IKE SA has queued, so close() and a rekey's hand-over can cancel them all: a queued timer holds the
 * SA, its keys included, until it fires, and a rekey timer fires hours later. Tasks run on the SA's executor.
 */
final class SaTimers {
    private final IkeSa ikeSa;
    private final IkeEngine engine;
    private final Set<Clock.Timer> timers = ConcurrentHashMap.newKeySet();
    /** The lifetime and volume timers of each Child SA, by inbound SPI: cancelled when that Child SA goes. */
    private final Map<Integer, List<Clock.Timer>> childTimers = new ConcurrentHashMap<>();

    SaTimers(IkeSa ikeSa, IkeEngine engine) {
        this.ikeSa = ikeSa;
        this.engine = engine;
    }

    /** Runs task on the SA's executor after delay; tracked so close() can cancel it. */
    Clock.Timer after(Duration delay, Runnable task) {
        return track(engine.schedule(ikeSa, task, delay));
    }

    /** Runs task on the SA's executor every period; tracked so close() can cancel it. */
    Clock.Timer every(Duration period, Runnable task) {
        return track(engine.scheduleRepeating(ikeSa, task, period));
    }

    private Clock.Timer track(Clock.Timer timer) {
        timers.removeIf(Clock.Timer::done); // fired or cancelled: a few per SA, so a scan is cheap
        timers.add(timer);
        return timer;
    }

    /** The timers of one Child SA (by inbound SPI), to add to: cancelled together by cancelChild. */
    List<Clock.Timer> ofChild(int inboundSpi) {
        return childTimers.computeIfAbsent(inboundSpi, k -> new CopyOnWriteArrayList<>());
    }

    void cancelChild(int inboundSpi) {
        List<Clock.Timer> own = childTimers.remove(inboundSpi);
        if (own != null) {
            own.forEach(t -> t.cancel());
        }
    }

    void cancelAll() {
        timers.forEach(t -> t.cancel());
        timers.clear();
        childTimers.clear();
    }
}
