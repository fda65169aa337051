package dev.strait.gateway.datapath;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.esp.DropReason;
import dev.strait.gateway.esp.EspCipher;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.esp.EspInbound;
import dev.strait.gateway.esp.EspOutbound;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Userspace ESP over TUN. Two platform threads move packets: "strait-tun-rx" reads the TUN device in batches,
 * picks the Child SA by the inner addresses, encrypts and sends to UDP 4500; "strait-udp-rx" receives, looks the
 * SA up by SPI, checks replay, decrypts, checks the selectors and writes the TUN. Each SA direction is used by
 * exactly one of them, so ciphers and replay windows need no locks. Control calls (install/remove) publish
 * immutable snapshots that the packet threads read through volatile fields.
 */
public final class UserspaceDatapath implements Datapath {
    private static final Logger LOG = LoggerFactory.getLogger(UserspaceDatapath.class);
    /** Worst-case ESP-in-UDP overhead over IPv4: IP 20 + UDP 8 + ESP 8 + IV 16 + pad/trailer 17 + ICV 32. */
    public static final int WORST_CASE_OVERHEAD = 20 + 8 + 8 + 16 + 17 + 32;
    private static final int BATCH = 64;
    private static final long ACQUIRE_INTERVAL_NANOS = 1_000_000_000L;
    /** -Dstrait.tun.offload=false opens the TUN without IFF_VNET_HDR/TSO (one packet per read, as before). */
    static final String OFFLOAD_PROPERTY = "strait.tun.offload";
    private static final int HEADROOM = TunDevice.HEADROOM;
    /** -Dstrait.tun.gro=false writes decrypted packets one by one instead of merging TCP segments. */
    static final String GRO_PROPERTY = "strait.tun.gro";

    private final TunDevice tun;
    private final RtNetlink netlink;
    private final UdpNattSocket natt;
    private final MeterRegistry registry;
    private final int mtu;
    private final EspCounters unattributed = new EspCounters(null);
    private final List<Meter> unattributedMeters;
    private final Object lock = new Object();
    private final Map<String, Tunnel> tunnels = new LinkedHashMap<>();
    private final Map<Integer, Sa> byInboundSpi = new HashMap<>();
    private final Thread tunReader;
    /** Receive-side GRO (null without IFF_VNET_HDR); used only by the UDP receiver thread. */
    private final TcpCoalescer coalescer;
    private volatile Sa[] outbound = new Sa[0];
    private volatile SpiTable inbound = SpiTable.EMPTY;
    private volatile Tunnel[] tunnelSnapshot = new Tunnel[0];
    private volatile Listener listener = new Listener() {
        @Override
        public void onAcquire(String tunnel) {
        }

        @Override
        public void onRekeyNeeded(int inboundSpi) {
        }
    };
    private volatile boolean closed;

    private static final class Tunnel {
        final String name;
        final EspCounters counters = new EspCounters(null);
        final List<Cidr> routes = new ArrayList<>();
        List<Meter> meters = List.of();
        volatile Prefix[] local = new Prefix[0];
        volatile Prefix[] remote = new Prefix[0];
        volatile boolean initiateOnTraffic;
        long lastAcquireNanos;

        Tunnel(String name) {
            this.name = name;
        }
    }

    /** held: outbound waits for the peer (Outbound.AFTER_PEER) until its first packet arrives on this SA. */
    private record Sa(ChildSaSpec spec, Tunnel tunnel, EspCounters counters, EspOutbound out, EspInbound in,
                      Prefix[] local, Prefix[] remote, MemorySegment peer, AtomicBoolean held) {
    }

    private UserspaceDatapath(TunDevice tun, RtNetlink netlink, UdpNattSocket natt, MeterRegistry registry,
                              int mtu) {
        this.tun = tun;
        this.netlink = netlink;
        this.natt = natt;
        this.registry = registry;
        this.mtu = mtu;
        this.unattributedMeters = EspMetrics.register(registry, "", unattributed);
        this.coalescer = tun.vnetHdr() && !"false".equalsIgnoreCase(System.getProperty(GRO_PROPERTY))
                ? new TcpCoalescer(tun::writeWithHeader) : null;
        this.tunReader = Thread.ofPlatform().name("strait-tun-rx").daemon().unstarted(this::tunLoop);
    }

    /** Tunnel MTU: the configured one, else the path MTU minus the worst-case ESP-in-UDP overhead. */
    public static int tunnelMtu(GatewayConfig.Datapath config) {
        if (config != null && config.mtu != null) {
            return config.mtu;
        }
        int path = config == null || config.pathMtu == null ? 1500 : config.pathMtu;
        return path - WORST_CASE_OVERHEAD;
    }

    /** Opens the TUN device and the 4500 socket in the caller's network namespace and starts both threads. */
    public static UserspaceDatapath start(GatewayConfig.Datapath config, InetSocketAddress nattBind,
                                          IkePacketHandler ike, MeterRegistry registry) throws IOException {
        int mtu = tunnelMtu(config);
        if (mtu < 576 || mtu > 65000) {
            throw new IllegalArgumentException("tunnel MTU " + mtu + " is outside 576..65000");
        }
        String name = config == null || config.tunName == null ? "strait0" : config.tunName;
        boolean offload = !"false".equalsIgnoreCase(System.getProperty(OFFLOAD_PROPERTY));
        TunDevice tun = TunDevice.open(name, offload);
        RtNetlink nl = null;
        UdpNattSocket natt = null;
        try {
            nl = RtNetlink.open();
            nl.setLinkUp(tun.ifIndex(), mtu);
            UserspaceDatapath[] self = new UserspaceDatapath[1];
            natt = new UdpNattSocket(nattBind, ike, new UdpNattSocket.EspSink() {
                @Override
                public void onEsp(byte[] buf, int len) {
                    self[0].onEsp(buf, len);
                }

                @Override
                public void onBatchEnd() {
                    self[0].onBatchEnd();
                }
            });
            self[0] = new UserspaceDatapath(tun, nl, natt, registry, mtu);
            natt.start();
            self[0].tunReader.start();
            LOG.info("datapath up: TUN {} (index {}, MTU {}, offloads 0x{}), UDP {}", name, tun.ifIndex(), mtu,
                    Integer.toHexString(tun.offloads()), natt.localAddress());
            return self[0];
        } catch (IOException | RuntimeException e) {
            if (natt != null) {
                natt.close();
            }
            if (nl != null) {
                nl.close();
            }
            tun.close();
            throw e;
        }
    }

    public NattSocket natt() {
        return natt;
    }

    public int mtu() {
        return mtu;
    }

    public String tunName() {
        return tun.name();
    }

    /** The TUN offloads the kernel granted (TunDevice.TUN_F_*), 0 when the TUN runs without them. */
    int tunOffloads() {
        return tun.offloads();
    }

    /** Counters of traffic that belongs to no tunnel (unknown SPI, garbage on 4500). */
    public EspCounters unattributedCounters() {
        return unattributed;
    }

    /** Counters of one tunnel (all its SAs, present and past), or null. */
    public EspCounters tunnelCounters(String tunnel) {
        synchronized (lock) {
            Tunnel t = tunnels.get(tunnel);
            return t == null ? null : t.counters;
        }
    }

    // ---- control plane -------------------------------------------------------------------------------------

    @Override
    public void addTunnel(String name, List<Cidr> localSubnets, List<Cidr> remoteSubnets,
                          boolean initiateOnTraffic) {
        synchronized (lock) {
            Tunnel t = tunnel(name);
            t.local = Prefix.of(localSubnets);
            t.remote = Prefix.of(remoteSubnets);
            t.initiateOnTraffic = initiateOnTraffic;
            for (Cidr c : remoteSubnets) {
                if (!t.routes.contains(c)) {
                    try {
                        netlink.addRoute(tun.ifIndex(), c);
                        t.routes.add(c);
                    } catch (IOException e) {
                        throw new IllegalStateException("tunnel " + name + ": " + e.getMessage(), e);
                    }
                }
            }
        }
    }

    private Tunnel tunnel(String name) {
        Tunnel t = tunnels.get(name);
        if (t == null) {
            t = new Tunnel(name);
            t.meters = EspMetrics.register(registry, name, t.counters);
            tunnels.put(name, t);
            tunnelSnapshot = tunnels.values().toArray(Tunnel[]::new);
        }
        return t;
    }

    @Override
    public void removeTunnel(String name) {
        synchronized (lock) {
            Tunnel t = tunnels.remove(name);
            if (t == null) {
                return;
            }
            byInboundSpi.values().removeIf(sa -> sa.tunnel == t);
            publishSas();
            deleteRoutes(t);
            EspMetrics.remove(registry, t.meters);
            tunnelSnapshot = tunnels.values().toArray(Tunnel[]::new);
        }
    }

    private void deleteRoutes(Tunnel t) {
        for (Cidr c : t.routes) {
            try {
                netlink.deleteRoute(tun.ifIndex(), c);
            } catch (IOException e) {
                LOG.warn("tunnel {}: {}", t.name, e.getMessage());
            }
        }
        t.routes.clear();
    }

    @Override
    public void installChildSa(ChildSaSpec spec, Outbound outbound) {
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
            EspCounters c = new EspCounters(t.counters);
            int spi = spec.inboundSpi();
            EspOutbound out = new EspOutbound(spec.outboundSpi(), spec.esn(), outCipher, c,
                    () -> listener.onRekeyNeeded(spi));
            EspInbound in = new EspInbound(spi, spec.esn(), inCipher, c);
            byInboundSpi.put(spi, new Sa(spec, t, c, out, in, Prefix.of(spec.localSelectors()),
                    Prefix.of(spec.remoteSelectors()), natt.peerAddress(spec.peer()),
                    new AtomicBoolean(outbound == Outbound.AFTER_PEER)));
            publishSas();
        }
    }

    @Override
    public void removeChildSa(int inboundSpi) {
        synchronized (lock) {
            if (byInboundSpi.remove(inboundSpi) != null) {
                publishSas();
            }
        }
    }

    /**
     * Outbound lookup order: SAs that may send before held ones (a held SA sends only when no other SA matches),
     * newest first within each; the map keeps insertion order only per key, so order by an install sequence.
     */
    private long installSeq;
    private final Map<Integer, Long> installOrder = new HashMap<>();

    private void publishSas() {
        for (Integer spi : byInboundSpi.keySet()) {
            installOrder.computeIfAbsent(spi, k -> ++installSeq);
        }
        installOrder.keySet().retainAll(byInboundSpi.keySet());
        List<Sa> list = new ArrayList<>(byInboundSpi.values());
        list.sort(java.util.Comparator.<Sa, Boolean>comparing(sa -> sa.held.get())
                .thenComparing(sa -> installOrder.get(sa.in.spi()), java.util.Comparator.reverseOrder()));
        outbound = list.toArray(Sa[]::new);
        inbound = SpiTable.of(byInboundSpi);
    }

    @Override
    public SaCounters counters(int inboundSpi) {
        synchronized (lock) {
            Sa sa = byInboundSpi.get(inboundSpi);
            return sa == null ? null : sa.counters;
        }
    }

    @Override
    public void setListener(Listener l) {
        this.listener = l;
    }

    // ---- outbound: TUN -> ESP ------------------------------------------------------------------------------

    private void tunLoop() {
        byte[] pkt = new byte[65536 + HEADROOM];
        byte[] esp = new byte[65536 + 256];
        GsoSegmenter gso = new GsoSegmenter();
        while (!closed) {
            if (!tun.awaitReadable(100)) {
                continue;
            }
            // Drain up to a batch per wake-up: one poll for many packets.
            for (int i = 0; i < BATCH && !closed; i++) {
                int n;
                try {
                    n = tun.read(pkt, 0, pkt.length);
                } catch (IOException e) {
                    LOG.warn("TUN read: {}", e.getMessage());
                    break;
                }
                if (n <= 0) {
                    break;
                }
                try {
                    if (!tun.vnetHdr()) {
                        outboundPacket(pkt, 0, n, esp);
                        continue;
                    }
                    int count = gso.begin(pkt, 0, n);
                    if (count < 0) {
                        unattributed.drop(DropReason.MALFORMED);
                    } else if (!gso.isSuperPacket()) {
                        outboundPacket(pkt, gso.packetOffset(), gso.packetLength(), esp);
                    } else {
                        // A TSO/USO super-packet: cut it into MTU-sized packets in place (no payload copy), each
                        // sealed and queued before the next one's header overwrites its tail.
                        for (int s = 0; s < count; s++) {
                            int at = gso.inPlaceOffset(s);
                            outboundPacket(pkt, at, gso.segmentInPlace(s), esp);
                        }
                    }
                } catch (RuntimeException e) {
                    unattributed.drop(DropReason.MALFORMED);
                    LOG.warn("outbound packet ({} bytes) not handled: {}", n, e.toString());
                }
            }
            // One sendmmsg for everything this wake-up produced.
            dropIo(natt.flushEsp());
        }
    }

    private void dropIo(int failed) {
        for (int i = 0; i < failed; i++) {
            unattributed.drop(DropReason.IO);
        }
    }

    private void outboundPacket(byte[] pkt, int off, int n, byte[] esp) {
        int v = IpPackets.version(pkt, off, n);
        if (v == 0) {
            unattributed.drop(DropReason.MALFORMED);
            return;
        }
        if (n > mtu && (v == 6 || IpPackets.dontFragment(pkt, off))) {
            int len = IpPackets.tooBig(pkt, off, n, v, mtu, errorScratch);
            if (len > 0) {
                System.arraycopy(errorScratch, 0, esp, HEADROOM, len);
                tun.write(esp, HEADROOM, len);
            }
            unattributed.drop(DropReason.MTU);
            return;
        }
        int src = off + IpPackets.srcOffset(v);
        int dst = off + IpPackets.dstOffset(v);
        int alen = IpPackets.addrLength(v);
        Sa sa = null;
        for (Sa s : outbound) {
            if (Prefix.any(s.local, pkt, src, alen) && Prefix.any(s.remote, pkt, dst, alen)) {
                sa = s;
                break;
            }
        }
        if (sa == null) {
            noSa(pkt, dst, alen);
            return;
        }
        IpPackets.clampMss(pkt, off, n, v, mtu);
        // Sealed straight into the socket's send run: with UDP GSO it leaves from there without another copy.
        int at = natt.reserveEsp(sa.peer, n + sa.out.maxOverhead());
        int len = sa.out.seal(pkt, off, n, v == 4 ? EspInbound.NEXT_IPV4 : EspInbound.NEXT_IPV6, natt.espBuffer(), at);
        dropIo(natt.commitEsp(Math.max(len, 0)));
    }

    private void noSa(byte[] pkt, int dst, int alen) {
        for (Tunnel t : tunnelSnapshot) {
            if (Prefix.any(t.remote, pkt, dst, alen)) {
                t.counters.drop(DropReason.NO_SA);
                long now = System.nanoTime();
                if (t.initiateOnTraffic && now - t.lastAcquireNanos > ACQUIRE_INTERVAL_NANOS) {
                    t.lastAcquireNanos = now;
                    try {
                        listener.onAcquire(t.name);
                    } catch (RuntimeException e) {
                        LOG.warn("acquire for {} failed: {}", t.name, e.toString());
                    }
                }
                return;
            }
        }
        unattributed.drop(DropReason.NO_SA);
    }

    // ---- inbound: ESP -> TUN (runs on the UDP receiver thread) --------------------------------------------

    /** A peer still sending on SAs we lost (we restarted) tells the engine, once per second at most. */
    private void reportUnknownSa() {
        long now = System.nanoTime();
        if (lastUnknownSaReportNanos != 0 && now - lastUnknownSaReportNanos < ACQUIRE_INTERVAL_NANOS) {
            return;
        }
        lastUnknownSaReportNanos = now;
        try {
            listener.onEspForUnknownSa(natt.currentSource().getAddress());
        } catch (RuntimeException e) {
            LOG.warn("unknown-SA report failed: {}", e.toString());
        }
    }

    private final byte[] plain = new byte[65536 + HEADROOM];
    /** ICMP "too big" replies are built here by the TUN reader thread (not the UDP receiver's). */
    private final byte[] errorScratch = new byte[1500];

    /** Receiver thread only: when ESP for an unknown SA was last reported to the listener. */
    private long lastUnknownSaReportNanos;

    private void onEsp(byte[] buf, int len) {
        Sa sa = inbound.get(EspInbound.spiOf(buf, 0));
        if (sa == null) {
            unattributed.drop(DropReason.NO_SA);
            reportUnknownSa();
            return;
        }
        if (coalescer == null) {
            int n = decryptAndCheck(sa, buf, len, plain, HEADROOM);
            if (n > 0 && !tun.write(plain, HEADROOM, n)) {
                sa.counters.drop(DropReason.IO);
            }
            return;
        }
        // Decrypt straight into the GRO buffer: a segment that joins the pending super-packet is not copied again.
        int at = coalescer.reserve(len);
        int n = decryptAndCheck(sa, buf, len, coalescer.target(), at);
        if (n <= 0) {
            coalescer.cancel();
            return;
        }
        // Refused writes may include an earlier packet of the same batch: counted against this SA.
        for (int failed = coalescer.offerReserved(n); failed > 0; failed--) {
            sa.counters.drop(DropReason.IO);
        }
    }

    /** Opens the ESP packet into out[at..] and checks the selectors; the inner length, or 0 when dropped. */
    private int decryptAndCheck(Sa sa, byte[] buf, int len, byte[] out, int at) {
        int n = sa.in.open(buf, 0, len, out, at);
        if (n < 0) {
            return 0;
        }
        if (sa.held.get()) {
            releaseOutbound(sa);
        }
        int v = sa.in.lastNextHeader() == EspInbound.NEXT_IPV4 ? 4 : 6;
        int alen = IpPackets.addrLength(v);
        if (!Prefix.any(sa.remote, out, at + IpPackets.srcOffset(v), alen)
                || !Prefix.any(sa.local, out, at + IpPackets.dstOffset(v), alen)) {
            sa.counters.drop(DropReason.POLICY);
            return 0;
        }
        IpPackets.clampMss(out, at, n, v, mtu);
        return n;
    }

    /** The peer sends on a held SA, so it has installed it: our outbound traffic moves over (once per SA). */
    private void releaseOutbound(Sa sa) {
        synchronized (lock) {
            if (sa.held.compareAndSet(true, false) && byInboundSpi.get(sa.in.spi()) == sa) {
                publishSas();
                LOG.debug("tunnel {}: first packet on SA {}, outbound moves to it", sa.tunnel.name, Integer.toHexString(sa.in.spi()));
            }
        }
    }

    private void onBatchEnd() {
        if (coalescer != null) {
            dropIo(coalescer.flush());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        natt.close();
        try {
            tunReader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            for (Tunnel t : tunnels.values()) {
                deleteRoutes(t);
                EspMetrics.remove(registry, t.meters);
            }
            tunnels.clear();
            byInboundSpi.clear();
            outbound = new Sa[0];
            inbound = SpiTable.EMPTY;
        }
        EspMetrics.remove(registry, unattributedMeters);
        tun.close();
        netlink.close();
    }

    /** Immutable open-addressing map from SPI to SA: lookups without boxing or locks. */
    private record SpiTable(int[] keys, Sa[] values, int mask) {
        static final SpiTable EMPTY = new SpiTable(new int[1], new Sa[1], 0);

        static SpiTable of(Map<Integer, Sa> map) {
            int size = Integer.highestOneBit(Math.max(4, map.size() * 4) - 1) << 1;
            int[] keys = new int[size];
            Sa[] values = new Sa[size];
            for (Map.Entry<Integer, Sa> e : map.entrySet()) {
                int i = mix(e.getKey()) & (size - 1);
                while (values[i] != null) {
                    i = (i + 1) & (size - 1);
                }
                keys[i] = e.getKey();
                values[i] = e.getValue();
            }
            return new SpiTable(keys, values, size - 1);
        }

        Sa get(int spi) {
            int i = mix(spi) & mask;
            while (values[i] != null) {
                if (keys[i] == spi) {
                    return values[i];
                }
                i = (i + 1) & mask;
            }
            return null;
        }

        private static int mix(int h) {
            return h * 0x9E3779B9 >>> 7 ^ h;
        }
    }
}
