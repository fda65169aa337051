package dev.strait.gateway.esp;

import dev.strait.gateway.datapath.Datapath;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lock-free traffic counters of one SA or one tunnel. An SA's counters also feed its tunnel's (parent), so the
 * tunnel totals keep counting after the SA is gone. Bytes are inner (plaintext IP packet) bytes.
 */
public final class EspCounters implements Datapath.SaCounters {
    private final EspCounters parent;
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder packetsIn = new LongAdder();
    private final LongAdder packetsOut = new LongAdder();
    private final LongAdder[] drops = new LongAdder[DropReason.values().length];
    private volatile long lastInboundNanos;

    public EspCounters(EspCounters parent) {
        this.parent = parent;
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    public void inbound(int bytes) {
        bytesIn.add(bytes);
        packetsIn.increment();
        lastInboundNanos = System.nanoTime();
        if (parent != null) {
            parent.inbound(bytes);
        }
    }

    public void outbound(int bytes) {
        bytesOut.add(bytes);
        packetsOut.increment();
        if (parent != null) {
            parent.outbound(bytes);
        }
    }

    public void drop(DropReason reason) {
        drops[reason.ordinal()].increment();
        if (parent != null) {
            parent.drop(reason);
        }
    }

    public long drops(DropReason reason) {
        return drops[reason.ordinal()].sum();
    }

    @Override
    public long bytesIn() {
        return bytesIn.sum();
    }

    @Override
    public long bytesOut() {
        return bytesOut.sum();
    }

    @Override
    public long packetsIn() {
        return packetsIn.sum();
    }

    @Override
    public long packetsOut() {
        return packetsOut.sum();
    }

    @Override
    public Map<String, Long> drops() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (DropReason r : DropReason.values()) {
            m.put(r.label(), drops[r.ordinal()].sum());
        }
        return m;
    }

    @Override
    public long lastInboundNanos() {
        return lastInboundNanos;
    }
}
