package dev.strait.gateway.datapath.inbound;

import dev.strait.gateway.datapath.demux.EspSink;
import dev.strait.gateway.datapath.packet.IpPackets;
import dev.strait.gateway.datapath.packet.TcpCoalescer;
import dev.strait.gateway.datapath.sa.ChildSa;
import dev.strait.gateway.datapath.sa.Events;
import dev.strait.gateway.datapath.sa.InstalledSas;
import dev.strait.gateway.datapath.sa.PathContext;
import dev.strait.gateway.datapath.sa.Prefix;
import dev.strait.gateway.datapath.udp.DatagramSink;
import dev.strait.gateway.esp.DropReason;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.esp.EspInbound;
import dev.strait.gateway.linux.TunDevice;
import dev.strait.gateway.wire.IpProtocol;

/**
 * ESP to TUN, on the UDP receive thread: the SA by SPI, then open (authenticate, replay check, decrypt), then the
 * policy check of the inner addresses against the SA's selectors, then the TUN write - through the TCP coalescer
 * (receive-side GRO) when the TUN takes virtio_net_hdr super-packets, flushed at the end of each receive batch.
 */
public final class InboundPath implements EspSink {
    private static final int HEADROOM = TunDevice.HEADROOM;
    private static final long UNKNOWN_SA_REPORT_NANOS = 1_000_000_000L;

    private final TunDevice tun;
    private final int mtu;
    private final InstalledSas sas;
    private final Events events;
    private final EspCounters unattributed;
    /** Receive-side GRO, or null: decrypted packets are written one by one. */
    private final TcpCoalescer coalescer;
    private final byte[] plain = new byte[65536 + HEADROOM];
    /** When ESP for an unknown SA was last reported to the engine. */
    private long lastUnknownSaReportNanos;

    /** @param gro merge TCP segments into super-packets (needs a TUN with virtio_net_hdr) */
    public InboundPath(PathContext context, boolean gro) {
        this.tun = context.tun();
        this.mtu = context.mtu();
        this.sas = context.sas();
        this.events = context.events();
        this.unattributed = context.unattributed();
        this.coalescer = gro && tun.vnetHdr() ? new TcpCoalescer(tun::writeWithHeader) : null;
    }

    @Override
    public void onEsp(byte[] buf, int len, DatagramSink.Source from) {
        ChildSa sa = sas.tables().inbound(EspInbound.spiOf(buf, 0));
        if (sa == null) {
            unattributed.drop(DropReason.NO_SA);
            reportUnknownSa(from);
            return;
        }
        if (coalescer == null) {
            int n = openAndCheck(sa, buf, len, plain, HEADROOM);
            if (n > 0 && !tun.write(plain, HEADROOM, n)) {
                sa.counters().drop(DropReason.IO);
            }
            return;
        }
        // Decrypt straight into the GRO buffer: a segment that joins the pending super-packet is not copied again.
        int at = coalescer.reserve(len);
        int n = openAndCheck(sa, buf, len, coalescer.target(), at);
        if (n <= 0) {
            coalescer.cancel();
            return;
        }
        // Refused writes may include an earlier packet of the same batch: counted against this SA.
        for (int failed = coalescer.offerReserved(n); failed > 0; failed--) {
            sa.counters().drop(DropReason.IO);
        }
    }

    /** Opens the ESP packet into out[at..] and checks the selectors; the inner length, or 0 when dropped. */
    private int openAndCheck(ChildSa sa, byte[] buf, int len, byte[] out, int at) {
        int n = sa.in().open(buf, 0, len, out, at);
        if (n < 0) {
            return 0;
        }
        if (sa.held().get()) {
            sas.releaseHeld(sa);
        }
        int v = sa.in().lastNextHeader() == IpProtocol.IPV4 ? 4 : 6;
        int alen = IpPackets.addrLength(v);
        if (!Prefix.any(sa.remote(), out, at + IpPackets.srcOffset(v), alen)
                || !Prefix.any(sa.local(), out, at + IpPackets.dstOffset(v), alen)) {
            sa.counters().drop(DropReason.POLICY);
            return 0;
        }
        IpPackets.clampMss(out, at, n, v, mtu);
        return n;
    }

    /** A peer still sending on SAs we lost (we restarted) tells the engine, once per second at most. */
    private void reportUnknownSa(DatagramSink.Source from) {
        long now = System.nanoTime();
        if (lastUnknownSaReportNanos != 0 && now - lastUnknownSaReportNanos < UNKNOWN_SA_REPORT_NANOS) {
            return;
        }
        lastUnknownSaReportNanos = now;
        events.espForUnknownSa(from.address().getAddress());
    }

    @Override
    public void onBatchEnd() {
        if (coalescer != null) {
            for (int failed = coalescer.flush(); failed > 0; failed--) {
                unattributed.drop(DropReason.IO);
            }
        }
    }
}
