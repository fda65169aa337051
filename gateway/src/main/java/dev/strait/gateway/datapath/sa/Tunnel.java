package dev.strait.gateway.datapath.sa;

import dev.strait.gateway.esp.EspCounters;

/**
 * One tunnel as the packet threads see it: its subnets, its counters (all its SAs, present and past) and whether
 * traffic without an SA starts it. The subnets are replaced by the control plane, never changed in place.
 */
public final class Tunnel {
    private static final long ACQUIRE_INTERVAL_NANOS = 1_000_000_000L;

    private final String name;
    private final EspCounters counters = new EspCounters(null);
    private volatile Prefix[] local = new Prefix[0];
    private volatile Prefix[] remote = new Prefix[0];
    private volatile boolean initiateOnTraffic;
    /** Outbound thread only: when traffic without an SA last asked the engine to start the tunnel. */
    private long lastAcquireNanos;

    public Tunnel(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public EspCounters counters() {
        return counters;
    }

    public Prefix[] local() {
        return local;
    }

    public Prefix[] remote() {
        return remote;
    }

    public void configure(Prefix[] local, Prefix[] remote, boolean initiateOnTraffic) {
        this.local = local;
        this.remote = remote;
        this.initiateOnTraffic = initiateOnTraffic;
    }

    /** Whether traffic without an SA should start the tunnel now: OnTraffic, and at most once per second. */
    public boolean acquireDue(long nowNanos) {
        if (!initiateOnTraffic || nowNanos - lastAcquireNanos <= ACQUIRE_INTERVAL_NANOS) {
            return false;
        }
        lastAcquireNanos = nowNanos;
        return true;
    }
}
