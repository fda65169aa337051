package dev.strait.gateway.datapath.outbound;

import dev.strait.gateway.datapath.packet.GsoSegmenter;
import dev.strait.gateway.datapath.packet.IpPackets;
import dev.strait.gateway.datapath.sa.ChildSa;
import dev.strait.gateway.datapath.sa.Events;
import dev.strait.gateway.datapath.sa.InstalledSas;
import dev.strait.gateway.datapath.sa.PathContext;
import dev.strait.gateway.datapath.sa.PrefixTrie;
import dev.strait.gateway.datapath.sa.Tunnel;
import dev.strait.gateway.datapath.udp.EspSender;
import dev.strait.gateway.esp.DropReason;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.esp.EspInbound;
import dev.strait.gateway.linux.TunDevice;
import dev.strait.gateway.wire.IpProtocol;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TUN to ESP, on its own platform thread "strait-tun-rx": read the TUN in batches (cutting TSO/USO super-packets
 * into MTU-sized packets in place), answer packets too big for the tunnel, find the SA by the inner addresses
 * (a prefix trie on the destination), seal straight into the socket's send run, and send everything one wake-up
 * produced with as few syscalls as possible. Traffic without an SA is counted against its tunnel and, for an
 * OnTraffic tunnel, asks the engine to start it.
 */
public final class OutboundPath {
    private static final Logger LOG = LoggerFactory.getLogger(OutboundPath.class);
    private static final int BATCH = 64;
    private static final int HEADROOM = TunDevice.HEADROOM;

    private final TunDevice tun;
    private final EspSender sender;
    private final int mtu;
    private final InstalledSas sas;
    private final Events events;
    private final EspCounters unattributed;
    private final Thread thread;
    private final int[] path = new int[PrefixTrie.MAX_DEPTH];
    /** ICMP "too big" replies are built here. */
    private final byte[] errorScratch = new byte[1500];
    private volatile boolean closed;

    public OutboundPath(PathContext context, EspSender sender) {
        this.tun = context.tun();
        this.mtu = context.mtu();
        this.sas = context.sas();
        this.events = context.events();
        this.unattributed = context.unattributed();
        this.sender = sender;
        this.thread = Thread.ofPlatform().name("strait-tun-rx").daemon().unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    /** Stops the thread (waits up to 2 s for it). */
    public void close() {
        closed = true;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
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
                        packet(pkt, 0, n, esp);
                        continue;
                    }
                    int count = gso.begin(pkt, 0, n);
                    if (count < 0) {
                        unattributed.drop(DropReason.MALFORMED);
                    } else if (!gso.isSuperPacket()) {
                        packet(pkt, gso.packetOffset(), gso.packetLength(), esp);
                    } else {
                        // A TSO/USO super-packet: cut it into MTU-sized packets in place (no payload copy), each
                        // sealed and queued before the next one's header overwrites its tail.
                        for (int s = 0; s < count; s++) {
                            int at = gso.inPlaceOffset(s);
                            packet(pkt, at, gso.segmentInPlace(s), esp);
                        }
                    }
                } catch (RuntimeException e) {
                    unattributed.drop(DropReason.MALFORMED);
                    LOG.warn("outbound packet ({} bytes) not handled: {}", n, e.toString());
                }
            }
            // One sendmmsg (or GSO sendto) for everything this wake-up produced.
            dropIo(sender.flush());
        }
    }

    private void dropIo(int failed) {
        for (int i = 0; i < failed; i++) {
            unattributed.drop(DropReason.IO);
        }
    }

    private void packet(byte[] pkt, int off, int n, byte[] esp) {
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
        ChildSa sa = sas.tables().outbound(pkt, src, dst, alen, path);
        if (sa == null) {
            noSa(pkt, dst, alen);
            return;
        }
        IpPackets.clampMss(pkt, off, n, v, mtu);
        // Sealed straight into the socket's send run: with UDP GSO it leaves from there without another copy.
        int at = sender.reserve(sa.peer(), n + sa.out().maxOverhead());
        int len = sa.out().seal(pkt, off, n, v == 4 ? IpProtocol.IPV4 : IpProtocol.IPV6,
                sender.buffer(), at);
        dropIo(sender.commit(Math.max(len, 0)));
    }

    private void noSa(byte[] pkt, int dst, int alen) {
        Tunnel t = sas.tables().tunnelFor(pkt, dst, alen, path);
        if (t == null) {
            unattributed.drop(DropReason.NO_SA);
            return;
        }
        t.counters().drop(DropReason.NO_SA);
        if (t.acquireDue(System.nanoTime())) {
            events.acquire(t.name());
        }
    }
}
