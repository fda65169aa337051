package dev.strait.gateway.datapath;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.datapath.sa.ChildSa;
import dev.strait.gateway.datapath.sa.Events;
import dev.strait.gateway.datapath.sa.InstalledSas;
import dev.strait.gateway.datapath.sa.Prefix;
import dev.strait.gateway.datapath.sa.SaTables;
import dev.strait.gateway.datapath.sa.Tunnel;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.esp.EspCipher;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.esp.EspInbound;
import dev.strait.gateway.esp.EspOutbound;
import dev.strait.gateway.linux.Sockaddr;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunnels and Child SAs the engine installed, and their per-tunnel metrics. Changes happen under one lock and
 * end with a new immutable {@link SaTables} that the packet threads read through a volatile field.
 */
final class SaRegistry implements InstalledSas {
    private static final Logger LOG = LoggerFactory.getLogger(SaRegistry.class);

    private record Entry(Tunnel tunnel, List<Meter> meters) {
    }

    private final MeterRegistry registry;
    private final Sockaddr peers;
    private final Events events;
    private final Object lock = new Object();
    private final Map<String, Entry> tunnels = new LinkedHashMap<>();
    private final Map<Integer, ChildSa> byInboundSpi = new HashMap<>();
    /** Install order per inbound SPI: newest SAs send first. */
    private final Map<Integer, Long> installOrder = new HashMap<>();
    private long installSeq;
    private volatile SaTables tables = SaTables.EMPTY;

    SaRegistry(MeterRegistry registry, Sockaddr peers, Events events) {
        this.registry = registry;
        this.peers = peers;
        this.events = events;
    }

    @Override
    public SaTables tables() {
        return tables;
    }

    /** Adds or updates a tunnel; returns it. */
    Tunnel configureTunnel(String name, List<Cidr> local, List<Cidr> remote, boolean initiateOnTraffic) {
        synchronized (lock) {
            Tunnel t = tunnel(name);
            t.configure(Prefix.of(local), Prefix.of(remote), initiateOnTraffic);
            publish();
            return t;
        }
    }

    private Tunnel tunnel(String name) {
        Entry e = tunnels.get(name);
        if (e == null) {
            Tunnel t = new Tunnel(name);
            e = new Entry(t, EspMetrics.register(registry, name, t.counters()));
            tunnels.put(name, e);
        }
        return e.tunnel();
    }

    /** Removes a tunnel and its SAs; false when unknown. */
    boolean removeTunnel(String name) {
        synchronized (lock) {
            Entry e = tunnels.remove(name);
            if (e == null) {
                return false;
            }
            byInboundSpi.values().removeIf(sa -> sa.tunnel() == e.tunnel());
            publish();
            EspMetrics.remove(registry, e.meters());
            return true;
        }
    }

    void install(ChildSaSpec spec, Datapath.Outbound outbound) {
        int bits = spec.encrKeyBits();
        EspCipher outCipher = EspCipher.create(spec.encr(), bits, spec.integ(), spec.outboundEncKey(),
                spec.outboundIntegKey());
        EspCipher inCipher = EspCipher.create(spec.encr(), bits, spec.integ(), spec.inboundEncKey(),
                spec.inboundIntegKey());
        synchronized (lock) {
            if (byInboundSpi.containsKey(spec.inboundSpi())) {
                throw new IllegalArgumentException("inbound SPI " + Integer.toHexString(spec.inboundSpi())
                        + " is already installed");
            }
            Tunnel t = tunnel(spec.tunnel());
            EspCounters c = new EspCounters(t.counters());
            int spi = spec.inboundSpi();
            EspOutbound out = new EspOutbound(spec.outboundSpi(), spec.esn(), outCipher, c,
                    () -> events.rekeyNeeded(spi));
            EspInbound in = new EspInbound(spi, spec.esn(), inCipher, c);
            byInboundSpi.put(spi, new ChildSa(spec, t, c, out, in, Prefix.of(spec.localSelectors()),
                    Prefix.of(spec.remoteSelectors()), peers.encode(spec.peer()),
                    new AtomicBoolean(outbound == Datapath.Outbound.AFTER_PEER)));
            publish();
        }
    }

    void remove(int inboundSpi) {
        synchronized (lock) {
            if (byInboundSpi.remove(inboundSpi) != null) {
                publish();
            }
        }
    }

    Datapath.SaCounters counters(int inboundSpi) {
        synchronized (lock) {
            ChildSa sa = byInboundSpi.get(inboundSpi);
            return sa == null ? null : sa.counters();
        }
    }

    @Override
    public void releaseHeld(ChildSa sa) {
        synchronized (lock) {
            if (sa.held().compareAndSet(true, false) && byInboundSpi.get(sa.inboundSpi()) == sa) {
                publish();
                LOG.debug("tunnel {}: first packet on SA {}, outbound moves to it", sa.tunnel().name(),
                        Integer.toHexString(sa.inboundSpi()));
            }
        }
    }

    /** Forgets everything and unregisters the tunnels' metrics. */
    void clear() {
        synchronized (lock) {
            for (Entry e : tunnels.values()) {
                EspMetrics.remove(registry, e.meters());
            }
            tunnels.clear();
            byInboundSpi.clear();
            installOrder.clear();
            tables = SaTables.EMPTY;
        }
    }

    private void publish() {
        for (Integer spi : byInboundSpi.keySet()) {
            installOrder.computeIfAbsent(spi, k -> ++installSeq);
        }
        installOrder.keySet().retainAll(byInboundSpi.keySet());
        List<ChildSa> newestFirst = new ArrayList<>(byInboundSpi.values());
        newestFirst.sort((a, b) -> Long.compare(installOrder.get(b.inboundSpi()), installOrder.get(a.inboundSpi())));
        List<Tunnel> list = tunnels.values().stream().map(Entry::tunnel).toList();
        tables = SaTables.of(Map.copyOf(byInboundSpi), newestFirst, list);
    }
}
