package dev.strait.gateway.esp;

import dev.strait.gateway.datapath.spi.Datapath;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lock-free traffic counters of one SA or one tunnel. An SA's counters also feed its tunnel's (parent), so the
 * tunnel totals keep counting after the SA is gone. Bytes are inner (plaintext IP packet) bytes.
 *
 * <p>The traffic counters are single-writer, as the datapath is: {@link #inbound} is called by one thread only
 * (the one that decrypts for this SA/tunnel) and {@link #outbound} by one thread only (the one that encrypts), so
 * they are plain increments published with opaque stores instead of atomic read-modify-writes on every packet.
 * Drops may come from any thread and stay atomic.
 */
public final class EspCounters implements Datapath.SaCounters {
    private static final VarHandle BYTES_IN;
    private static final VarHandle PACKETS_IN;
    private static final VarHandle BYTES_OUT;
    private static final VarHandle PACKETS_OUT;
    private static final VarHandle LAST_IN;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BYTES_IN = l.findVarHandle(EspCounters.class, "bytesIn", long.class);
            PACKETS_IN = l.findVarHandle(EspCounters.class, "packetsIn", long.class);
            BYTES_OUT = l.findVarHandle(EspCounters.class, "bytesOut", long.class);
            PACKETS_OUT = l.findVarHandle(EspCounters.class, "packetsOut", long.class);
            LAST_IN = l.findVarHandle(EspCounters.class, "lastInboundNanos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final EspCounters parent;
    private long bytesIn;
    private long packetsIn;
    private long bytesOut;
    private long packetsOut;
    private final LongAdder[] drops = new LongAdder[DropReason.values().length];
    /** Liveness stamp of the last authenticated inbound packet, from the receive loop's coarse clock. */
    private long lastInboundNanos;

    public EspCounters(EspCounters parent) {
        this.parent = parent;
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    /** One authenticated inbound packet; only the SA's decrypting thread calls this. */
    public void inbound(int bytes) {
        BYTES_IN.setOpaque(this, bytesIn + bytes);
        PACKETS_IN.setOpaque(this, packetsIn + 1);
        LAST_IN.setOpaque(this, ReceiveClock.nanos());
        if (parent != null) {
            parent.inbound(bytes);
        }
    }

    /** One sent packet; only the SA's encrypting thread calls this. */
    public void outbound(int bytes) {
        BYTES_OUT.setOpaque(this, bytesOut + bytes);
        PACKETS_OUT.setOpaque(this, packetsOut + 1);
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
        return (long) BYTES_IN.getOpaque(this);
    }

    @Override
    public long bytesOut() {
        return (long) BYTES_OUT.getOpaque(this);
    }

    @Override
    public long packetsIn() {
        return (long) PACKETS_IN.getOpaque(this);
    }

    @Override
    public long packetsOut() {
        return (long) PACKETS_OUT.getOpaque(this);
    }

    @Override
    public Map<String, Long> drops() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (DropReason r : DropReason.values()) {
            m.put(r.label(), drops[r.ordinal()].sum());
        }
        return m;
    }

    /** When the last authenticated inbound packet arrived (System.nanoTime scale, batch precision), 0 if none. */
    @Override
    public long lastInboundNanos() {
        return (long) LAST_IN.getOpaque(this);
    }
}
