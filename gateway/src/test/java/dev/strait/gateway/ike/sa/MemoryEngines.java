package dev.strait.gateway.ike.sa;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Engines on a {@link MemoryNetwork}, each on its own {@link FakeClock} and with a {@link RecordingDatapath}: no
 * sockets, no root, no fixed ports. A ticker moves all clocks together, 20 ms of engine time per millisecond, so a test
 * that waits for a condition waits through retransmissions and lifetimes in a fraction of their time; a test that
 * must hold time still pauses it. close() stops everything, in reverse order, even when one close fails; as a
 * {@code @RegisterExtension} field it runs after each test.
 */
public final class MemoryEngines implements AutoCloseable, AfterEachCallback {
    /** The ticker's step: engine time per real millisecond. */
    static final Duration STEP = Duration.ofMillis(20);

    /** One engine and what it reported. */
    public static final class Side {
        public final IkeEngine engine;
        public final RecordingDatapath datapath;
        public final MemoryNetwork.Link link;
        public final FakeClock clock;
        /** The last authentication failure reason by tunnel. */
        public final Map<String, String> failures = new ConcurrentHashMap<>();
        /** Listener events by name ("ikeRekey", "childRekey", "collision-child", "additional-created", ...). */
        public final Map<String, AtomicInteger> events = new ConcurrentHashMap<>();

        Side(IkeEngine.Settings settings, RecordingDatapath datapath, MemoryNetwork.Link link, FakeClock clock) {
            this.datapath = datapath;
            this.link = link;
            this.clock = clock;
            this.engine = new IkeEngine(settings, new Recorder(this), clock);
        }

        public int count(String event) {
            AtomicInteger n = events.get(event);
            return n == null ? 0 : n.get();
        }

        /** Additional Child SA outcomes ("created", "refused"). */
        public int additionalChildren(String outcome) {
            return count("additional-" + outcome);
        }

        /** The IKE SA carrying tunnel "t". */
        IkeSa sa() {
            return engine.currentSa("t");
        }
    }

    /** Counts every listener event of a side. */
    private record Recorder(Side side) implements EngineListener {
        private void count(String e) {
            side.events.computeIfAbsent(e, k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void authFailure(String tunnel, FailureReason reason) {
            side.failures.put(tunnel, reason.label());
        }

        @Override
        public void additionalChild(String tunnel, String outcome) {
            count("additional-" + outcome);
        }

        @Override
        public void ikeRekey(String tunnel) {
            count("ikeRekey");
        }

        @Override
        public void childRekey(String tunnel) {
            count("childRekey");
        }

        @Override
        public void rekeyCollision(String tunnel, String kind) {
            count("collision-" + kind);
        }

        @Override
        public void dpdTimeout(String tunnel) {
            count("dpdTimeout");
        }

        @Override
        public void roundTrip(String tunnel, Duration rtt) {
            count("roundTrip");
        }

        @Override
        public void retransmit(String tunnel) {
            count("retransmit");
        }

        @Override
        public void reconnect(String tunnel) {
            count("reconnect");
        }

        @Override
        public void cookieSent() {
            count("cookie");
        }

        @Override
        public void fragment(String direction) {
            count("fragment-" + direction);
        }
    }

    public final MemoryNetwork network = new MemoryNetwork();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<FakeClock> clocks = new CopyOnWriteArrayList<>();
    private final Thread ticker;
    private volatile boolean paused;
    private volatile boolean closed;

    public MemoryEngines() {
        ticker = Thread.ofPlatform().daemon().name("fake-clock-ticker").start(() -> {
            while (!closed) {
                if (!paused) {
                    clocks.forEach(c -> c.advance(STEP));
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        });
    }

    /** Settings of the engines here: retransmissions after 1 s and 2 s (engine time), reconnects within 1 s. */
    public static IkeEngine.Settings settings(String ip) {
        return new IkeEngine.Settings(new InetSocketAddress(ip, MemoryNetwork.IKE_PORT), MemoryNetwork.NATT_PORT, true,
                List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), Duration.ofSeconds(1));
    }

    public Side start(String ip) throws Exception {
        return start(ip, s -> s);
    }

    public Side start(String ip, UnaryOperator<IkeEngine.Settings> adjust) throws Exception {
        FakeClock clock = new FakeClock();
        synchronized (this) {
            clocks.stream().findFirst().ifPresent(c -> clock.advance(Duration.ofNanos(c.nanoTime()))); // the others' time
        }
        Side side = new Side(adjust.apply(settings(ip)), new RecordingDatapath(), network.link(ip, clock), clock);
        side.engine.start(side.datapath, side.link);
        open.add(side.engine);
        clocks.add(clock);
        return side;
    }

    /** Holds engine time still (pause) or lets it run again. */
    public void pause(boolean pause) {
        paused = pause;
    }

    /** Waits (engine time running) until d of engine time has passed. */
    public void elapse(Duration d) throws InterruptedException {
        FakeClock c = clocks.getFirst();
        long until = c.nanoTime() + d.toNanos();
        await(() -> c.nanoTime() >= until, "engine time to pass " + d);
    }

    /**
     * Runs a on sa's executor and b on sb's at once: both executors are held until both tasks are queued, so the
     * requests they send cross on the wire (a collision) instead of one being answered before the other leaves.
     */
    static void atOnce(IkeSa sa, Runnable a, IkeSa sb, Runnable b) {
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Runnable hold = () -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        sa.execute(hold);
        sb.execute(hold);
        sa.execute(a);
        sb.execute(b);
        go.countDown();
    }

    /** Polls condition (engine time running) for up to 10 s of real time. */
    public static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        closed = true;
        for (AutoCloseable c : open.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("closing " + c + " failed: " + e); // keep closing the rest
            }
        }
        open.clear();
        try {
            ticker.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
