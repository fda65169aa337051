package dev.strait.gateway.datapath.packet;

import dev.strait.gateway.linux.TunDevice;
import dev.strait.gateway.wire.BigEndian;
import dev.strait.gateway.wire.IpProtocol;

/**
 * Receive-side GRO for a TUN with IFF_VNET_HDR: consecutive TCP segments of one flow (as decrypted from one
 * recvmmsg batch) are merged into one super-packet of up to 64 KiB and written with a virtio_net_hdr (GSO TCPv4/6,
 * partial checksum), so the kernel's stack runs once per super-packet instead of once per segment. The merge
 * rules follow Linux tcp_gro_receive: same addresses, ports, ACK number, window, options and IP TOS/TTL;
 * sequence numbers contiguous; only ACK or ACK|PSH; a PSH or a shorter segment ends the super-packet.
 * A segment whose TCP checksum does not verify is never merged (the merged packet's checksum is recomputed, which
 * would hide the damage): it is written alone and the kernel drops it. One instance per thread.
 *
 * <p>To spare a copy per packet, the decrypting caller can {@link #reserve} room and decrypt straight into
 * {@link #target()}: right behind the pending super-packet, placed so that a packet that joins it has its payload
 * exactly where the merged payload continues (its header lands over the last bytes of the pending payload, which
 * are saved first and put back). Then {@link #offerReserved} or, if the packet is dropped, {@link #cancel}.
 */
public final class TcpCoalescer {
    /** Writes one packet that starts with a virtio_net_hdr at buf[off]; false when the kernel refused it. */
    public interface Sink {
        boolean write(byte[] buf, int off, int len);
    }

    private static final int VNET = TunDevice.VNET_HDR_LEN;
    private static final int MAX_IP_LEN = 65535;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    private final Sink sink;
    /** Pending super-packet, plus room to decrypt one more ESP packet (up to a datagram) behind it. */
    private final byte[] buf = new byte[VNET + MAX_IP_LEN + 2048];
    /** Where packets that cannot be decrypted behind the pending one go (as {@link #offer} input). */
    private final byte[] spill = new byte[VNET + 65536];
    /** The pending payload's tail while a reserved packet's header covers it. */
    private final byte[] saved = new byte[128];
    private byte[] reservedIn;
    private int reservedAt;
    private int savedLen;
    /** Bytes of the pending packet after the vnet header, 0 when nothing is pending. */
    private int len;
    private int version;
    private int ipHdr;
    private int hdrLen;
    private int gsoSize;
    private int segments;
    private int nextSeq;
    private boolean closed;

    public TcpCoalescer(Sink sink) {
        this.sink = sink;
    }

    /**
     * Takes one decrypted IP packet p[off, off+len); the {@link TunDevice#HEADROOM} bytes before off are scratch.
     * @return the number of TUN writes the kernel refused during this call
     */
    int offer(byte[] p, int off, int n) {
        int v = IpPackets.version(p, off, n);
        int ihl = v == 4 ? (p[off] & 0x0f) * 4 : 40;
        if (!mergeable(p, off, n, v, ihl)) {
            return flush() + writeAlone(p, off, n);
        }
        int tcp = off + ihl;
        int th = ((p[tcp + 12] & 0xff) >>> 4) * 4;
        int payload = n - ihl - th;
        if (len > 0 && appendable(p, off, v, ihl, th, payload)) {
            System.arraycopy(p, tcp + th, buf, VNET + len, payload);
            append(payload, (p[tcp + 13] & PSH) != 0);
            return closed ? flush() : 0;
        }
        int failed = flush();
        start(p, off, n, v, ihl);
        return failed;
    }

    /**
     * Room for the next decrypted packet of at most maxLen bytes (maxLen bounds everything the decryption writes):
     * decrypt into {@link #target()} at the returned offset (the {@link TunDevice#HEADROOM} bytes before it are
     * scratch), then call {@link #offerReserved} or {@link #cancel}.
     */
    public int reserve(int maxLen) {
        if (reservedIn != null) {
            throw new IllegalStateException("a reservation is open");
        }
        savedLen = 0;
        if (len == 0 && VNET + maxLen <= buf.length) {
            reservedIn = buf;
            reservedAt = VNET;
        } else if (len > 0 && !closed && len - hdrLen >= hdrLen && VNET + len - hdrLen + maxLen <= buf.length) {
            // Behind the pending payload (never over the pending header): a joining packet's payload lands in place.
            reservedIn = buf;
            reservedAt = VNET + len - hdrLen;
            savedLen = hdrLen;
            System.arraycopy(buf, reservedAt, saved, 0, savedLen);
        } else {
            reservedIn = spill;
            reservedAt = VNET;
        }
        return reservedAt;
    }

    /** The array to decrypt into after {@link #reserve}. */
    public byte[] target() {
        return reservedIn;
    }

    /** The reserved packet was dropped: the pending super-packet is as it was. */
    public void cancel() {
        restore();
        reservedIn = null;
    }

    private void restore() {
        if (savedLen > 0) {
            System.arraycopy(saved, 0, buf, reservedAt, savedLen);
            savedLen = 0;
        }
    }

    /**
     * Takes the packet of n bytes decrypted at the reserved place: as {@link #offer}, without copying a payload
     * that joins the pending super-packet.
     * @return the number of TUN writes the kernel refused during this call
     */
    public int offerReserved(int n) {
        byte[] in = reservedIn;
        int at = reservedAt;
        if (in == null) {
            throw new IllegalStateException("nothing reserved");
        }
        reservedIn = null;
        if (in == spill) {
            return offer(spill, at, n);
        }
        int v = IpPackets.version(buf, at, n);
        int ihl = v == 4 ? (buf[at] & 0x0f) * 4 : 40;
        if (len == 0) {
            // At the start of the buffer already: it becomes the pending packet, or goes out alone.
            if (!mergeable(buf, at, n, v, ihl)) {
                return writeAlone(buf, at, n);
            }
            start(buf, at, n, v, ihl);
            return 0;
        }
        if (mergeable(buf, at, n, v, ihl)) {
            int tcp = at + ihl;
            int th = ((buf[tcp + 12] & 0xff) >>> 4) * 4;
            int payload = n - ihl - th;
            if (appendable(buf, at, v, ihl, th, payload)) {
                boolean psh = (buf[tcp + 13] & PSH) != 0;
                restore(); // its header is no longer needed; its payload already sits at VNET + len
                append(payload, psh);
                return closed ? flush() : 0;
            }
        }
        // Not joining: move it out of the way, put the pending tail back, and take the ordinary path.
        System.arraycopy(buf, at, spill, VNET, n);
        restore();
        return offer(spill, VNET, n);
    }

    private void append(int payload, boolean psh) {
        len += payload;
        segments++;
        nextSeq += payload;
        if (psh) {
            buf[VNET + ipHdr + 13] |= PSH;
            closed = true;
        }
        if (payload < gsoSize) {
            closed = true;
        }
    }

    /** Makes p[off, off+n) (a mergeable packet) the pending super-packet; the caller flushed the previous one. */
    private void start(byte[] p, int off, int n, int v, int ihl) {
        if (p != buf || off != VNET) {
            System.arraycopy(p, off, buf, VNET, n);
        }
        int tcp = VNET + ihl;
        int th = ((buf[tcp + 12] & 0xff) >>> 4) * 4;
        int payload = n - ihl - th;
        len = n;
        version = v;
        ipHdr = ihl;
        hdrLen = ihl + th;
        gsoSize = payload;
        segments = 1;
        nextSeq = BigEndian.getInt(buf, tcp + 4) + payload;
        closed = (buf[tcp + 13] & PSH) != 0;
    }

    /** Writes the pending super-packet (if any); returns 1 when the kernel refused it. */
    public int flush() {
        if (len == 0) {
            return 0;
        }
        int n = len;
        len = 0;
        java.util.Arrays.fill(buf, 0, VNET, (byte) 0);
        if (segments > 1) {
            int ip = VNET;
            int tcp = ip + ipHdr;
            if (version == 4) {
                BigEndian.putShort(buf, ip + 2, n);
                BigEndian.putShort(buf, ip + 10, 0);
                BigEndian.putShort(buf, ip + 10, Checksum.finish(Checksum.sum(buf, ip, ipHdr, 0)));
            } else {
                BigEndian.putShort(buf, ip + 4, n - 40);
            }
            // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum; the kernel trusts the payload
            // (verified per segment before merging) and computes checksums only if it must resegment.
            long pseudo = Checksum.pseudoHeader(buf, ip, version, 6, n - ipHdr);
            BigEndian.putShort(buf, tcp + 16, ~Checksum.finish(pseudo) & 0xffff);
            buf[0] = TunDevice.VNET_F_NEEDS_CSUM;
            buf[1] = (byte) (version == 4 ? TunDevice.VNET_GSO_TCPV4 : TunDevice.VNET_GSO_TCPV6);
            le16(buf, 2, hdrLen);
            le16(buf, 4, gsoSize);
            le16(buf, 6, ipHdr);
            le16(buf, 8, 16);
        }
        return sink.write(buf, 0, VNET + n) ? 0 : 1;
    }

    private int writeAlone(byte[] p, int off, int n) {
        java.util.Arrays.fill(p, off - VNET, off, (byte) 0);
        return sink.write(p, off - VNET, VNET + n) ? 0 : 1;
    }

    /** A plain TCP data segment with a valid checksum: the only kind that may start or join a super-packet. */
    private static boolean mergeable(byte[] p, int off, int n, int v, int ihl) {
        if (v == 4) {
            if (ihl != 20 || (p[off + 9] & 0xff) != IpProtocol.TCP || BigEndian.getShort(p, off + 2) != n
                    || (BigEndian.getShort(p, off + 6) & 0x3fff) != 0) {
                return false; // options, not TCP, length mismatch, or a fragment
            }
        } else if (v != 6 || (p[off + 6] & 0xff) != IpProtocol.TCP || BigEndian.getShort(p, off + 4) != n - 40) {
            return false;
        }
        int tcp = off + ihl;
        if (tcp + 20 > off + n) {
            return false;
        }
        int th = ((p[tcp + 12] & 0xff) >>> 4) * 4;
        int flags = p[tcp + 13] & 0xff;
        if (th < 20 || ihl + th >= n || (flags != ACK && flags != (ACK | PSH))) {
            return false;
        }
        long pseudo = Checksum.pseudoHeader(p, off, v, 6, n - ihl);
        return Checksum.finish(Checksum.sum(p, tcp, n - ihl, pseudo)) == 0;
    }

    private boolean appendable(byte[] p, int off, int v, int ihl, int th, int payload) {
        if (closed || v != version || ihl + th != hdrLen || payload > gsoSize || len + payload > MAX_IP_LEN) {
            return false;
        }
        int ip = VNET;
        if (v == 4) {
            // TOS, DF, TTL, protocol and both addresses; not the length, ID or header checksum.
            if (p[off + 1] != buf[ip + 1] || p[off + 6] != buf[ip + 6] || p[off + 8] != buf[ip + 8]
                    || !same(p, off + 12, buf, ip + 12, 8)) {
                return false;
            }
        } else if (!same(p, off, buf, ip, 4) || p[off + 7] != buf[ip + 7] || !same(p, off + 8, buf, ip + 8, 32)) {
            return false;
        }
        int tcp = off + ihl;
        int ptcp = ip + ipHdr;
        return BigEndian.getInt(p, tcp + 4) == nextSeq
                && same(p, tcp, buf, ptcp, 4)                               // ports
                && same(p, tcp + 8, buf, ptcp + 8, 5)                       // ACK number, data offset
                && (p[tcp + 13] & ~PSH) == (buf[ptcp + 13] & ~PSH)          // flags apart from PSH
                && same(p, tcp + 14, buf, ptcp + 14, 2)                     // window
                && same(p, tcp + 20, buf, ptcp + 20, th - 20);              // options (timestamps too)
    }

    private static boolean same(byte[] a, int ao, byte[] b, int bo, int n) {
        return java.util.Arrays.equals(a, ao, ao + n, b, bo, bo + n);
    }

    private static void le16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }
}
