package dev.strait.gateway.ike.sa;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Engines on loopback addresses (ports 500/4500, so tests need root) with a recording datapath and short
 * retransmissions; close() stops them all, in reverse order, even when one fails to close.
 */
final class LoopbackEngines implements AutoCloseable {
    /** One engine and what it reported: installed Child SAs and authentication failures by tunnel. */
    static final class Side {
        final IkeEngine engine;
        final RecordingDatapath datapath;
        final Map<String, String> failures;
        /** Additional Child SA outcomes ("created", "refused") by count. */
        final Map<String, AtomicInteger> additionalChildren;

        Side(IkeEngine engine, RecordingDatapath datapath, Map<String, String> failures,
             Map<String, AtomicInteger> additionalChildren) {
            this.engine = engine;
            this.datapath = datapath;
            this.failures = failures;
            this.additionalChildren = additionalChildren;
        }

        int additionalChildren(String outcome) {
            AtomicInteger n = additionalChildren.get(outcome);
            return n == null ? 0 : n.get();
        }
    }

    private final List<AutoCloseable> open = new ArrayList<>();

    Side start(String ip) throws Exception {
        RecordingDatapath dp = new RecordingDatapath();
        Map<String, String> failures = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> additional = new ConcurrentHashMap<>();
        IkeEngine engine = new IkeEngine(new IkeEngine.Settings(new InetSocketAddress(ip, 500), 4500, true,
                List.of(Duration.ofMillis(300), Duration.ofMillis(600)), Duration.ofSeconds(1)), new EngineListener() {
            @Override
            public void authFailure(String tunnel, FailureReason reason) {
                failures.put(tunnel, reason.label());
            }

            @Override
            public void additionalChild(String tunnel, String outcome) {
                additional.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
            }
        });
        LoopbackNattSocket natt = new LoopbackNattSocket(new InetSocketAddress(ip, 4500), engine::onNattPacket);
        open.add(natt); // closed even when the engine cannot bind, so the next test finds 4500 free
        engine.start(dp, natt);
        open.add(engine);
        return new Side(engine, dp, failures, additional);
    }

    @Override
    public void close() {
        for (AutoCloseable c : open.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("closing " + c + " failed: " + e); // keep closing the rest
            }
        }
        open.clear();
    }
}
