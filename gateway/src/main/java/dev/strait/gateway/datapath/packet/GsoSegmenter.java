package dev.strait.gateway.datapath.packet;

import dev.strait.gateway.linux.TunDevice;
import dev.strait.gateway.wire.BigEndian;
import dev.strait.gateway.wire.IpProtocol;

/**
 * Splits what a TUN with IFF_VNET_HDR and TSO/USO offloads hands out - a virtio_net_hdr followed by a TCP or UDP
 * "super-packet" of up to 64 KiB - into MTU-sized packets, as a NIC would (Linux tcp_gso_segment semantics:
 * per segment the IPv4 total length, ID (+1 each), header checksum, IPv6 payload length, TCP sequence number,
 * FIN/PSH only on the last, CWR only on the first, full TCP/UDP checksum). A packet without GSO but with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM gets its partial checksum completed in place. Allocation-free and reusable: one
 * instance per thread; {@link #begin} then {@link #segmentInPlace} (no payload copy)
 * for each index in order.
 */
public final class GsoSegmenter {
    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;

    private byte[] src;
    private int ip;
    private int len;
    private int version;
    private int l4;
    private int protocol;
    private int hdrLen;
    private int gsoSize;
    private int count;
    private int ipId;
    private int tcpSeq;
    private boolean gso;
    /** The super-packet's IP + L4 header as read: in-place segmentation overwrites the original. */
    private final byte[] header = new byte[128];
    private int nextInPlace;

    /**
     * Reads the virtio_net_hdr at pkt[off] and the packet after it (total bytes from the read, header included).
     * @return the number of packets to emit: 1 for a packet without GSO (then use {@link #packetOffset} and
     *         {@link #packetLength}: it stays in place), n for a super-packet; -1 when the header or packet is
     *         malformed (never thrown: the caller counts a drop)
     */
    public int begin(byte[] pkt, int off, int total) {
        src = pkt;
        count = -1;
        gso = false;
        if (total < TunDevice.VNET_HDR_LEN + 20) {
            return -1;
        }
        int flags = pkt[off] & 0xff;
        int gsoType = pkt[off + 1] & 0xff & ~TunDevice.VNET_GSO_ECN;
        gsoSize = le16(pkt, off + 4);
        int csumStart = le16(pkt, off + 6);
        int csumOffset = le16(pkt, off + 8);
        ip = off + TunDevice.VNET_HDR_LEN;
        len = total - TunDevice.VNET_HDR_LEN;
        version = IpPackets.version(pkt, ip, len);
        if (version == 0) {
            return -1;
        }
        if (gsoType == TunDevice.VNET_GSO_NONE) {
            if ((flags & TunDevice.VNET_F_NEEDS_CSUM) != 0) {
                if (csumStart + csumOffset + 2 > len || csumStart >= len) {
                    return -1;
                }
                // The field already holds the pseudo-header sum: summing over it completes the checksum.
                int c = Checksum.finish(Checksum.sum(pkt, ip + csumStart, len - csumStart, 0));
                if (c == 0 && csumOffset == 6) {
                    c = 0xffff; // UDP: 0 would mean "no checksum"
                }
                BigEndian.putShort(pkt, ip + csumStart + csumOffset, c);
            }
            hdrLen = len;
            count = 1;
            return 1;
        }
        boolean tcp = gsoType == TunDevice.VNET_GSO_TCPV4 || gsoType == TunDevice.VNET_GSO_TCPV6;
        if (!tcp && gsoType != TunDevice.VNET_GSO_UDP_L4 || (flags & TunDevice.VNET_F_NEEDS_CSUM) == 0 || gsoSize == 0
                || gsoType == TunDevice.VNET_GSO_TCPV4 && version != 4 || gsoType == TunDevice.VNET_GSO_TCPV6 && version != 6) {
            return -1;
        }
        int ipHdr = version == 4 ? (pkt[ip] & 0x0f) * 4 : 40;
        int proto = version == 4 ? pkt[ip + 9] & 0xff : pkt[ip + 6] & 0xff;
        // csum_start is where the transport header begins; IPv6 extension headers are not produced by TSO.
        if (csumStart != ipHdr || proto != (tcp ? IpProtocol.TCP : IpProtocol.UDP)) {
            return -1;
        }
        if (version == 4 && BigEndian.getShort(pkt, ip + 2) != len) {
            return -1;
        }
        if (version == 6 && BigEndian.getShort(pkt, ip + 4) != len - 40) {
            return -1;
        }
        int l4Hdr;
        if (tcp) {
            if (ipHdr + 20 > len) {
                return -1;
            }
            l4Hdr = ((pkt[ip + ipHdr + 12] & 0xff) >>> 4) * 4;
            if (l4Hdr < 20) {
                return -1;
            }
        } else {
            l4Hdr = 8;
        }
        hdrLen = ipHdr + l4Hdr;
        if (hdrLen > len) {
            return -1;
        }
        if (hdrLen > header.length) {
            return -1;
        }
        System.arraycopy(pkt, ip, header, 0, hdrLen);
        nextInPlace = 0;
        l4 = ipHdr;
        protocol = proto;
        ipId = version == 4 ? BigEndian.getShort(pkt, ip + 4) : 0;
        tcpSeq = tcp ? BigEndian.getInt(pkt, ip + ipHdr + 4) : 0;
        int payload = len - hdrLen;
        count = Math.max(1, (payload + gsoSize - 1) / gsoSize);
        gso = true;
        return count;
    }

    /** Where the single packet of a non-GSO read starts (after the virtio_net_hdr). */
    public int packetOffset() {
        return ip;
    }

    public int packetLength() {
        return len;
    }

    /** Whether the last {@link #begin} was a super-packet that must go through {@link #segmentInPlace}. */
    public boolean isSuperPacket() {
        return gso;
    }

    /**
     * Builds packet i inside the super-packet itself, without copying its payload: its header is written just in
     * front of its payload, over the tail of packet i-1. So packets must be taken in order 0, 1, 2, ... and each
     * must be consumed (encrypted) before the next call; the super-packet is destroyed on the way.
     * @return the packet length; it starts at {@link #inPlaceOffset}(i) in the array given to {@link #begin}
     */
    public int segmentInPlace(int i) {
        if (!gso || i < 0 || i >= count) {
            throw new IndexOutOfBoundsException(i + " of " + count);
        }
        if (i != nextInPlace) {
            throw new IllegalStateException("in-place segments go in order: " + nextInPlace + " expected, not " + i);
        }
        nextInPlace++;
        int payloadAt = i * gsoSize;
        int pay = Math.min(gsoSize, len - hdrLen - payloadAt);
        return finishSegment(i, src, inPlaceOffset(i), hdrLen + pay);
    }

    /** Where {@link #segmentInPlace}(i) puts packet i. */
    public int inPlaceOffset(int i) {
        return ip + i * gsoSize;
    }

    /** Writes packet i's header (payload already at out[outOff + hdrLen..]) with its lengths and checksums. */
    private int finishSegment(int i, byte[] out, int outOff, int segLen) {
        int payloadAt = i * gsoSize;
        System.arraycopy(header, 0, out, outOff, hdrLen);
        if (version == 4) {
            BigEndian.putShort(out, outOff + 2, segLen);
            BigEndian.putShort(out, outOff + 4, (ipId + i) & 0xffff);
            BigEndian.putShort(out, outOff + 10, 0);
            BigEndian.putShort(out, outOff + 10, Checksum.finish(Checksum.sum(out, outOff, l4, 0)));
        } else {
            BigEndian.putShort(out, outOff + 4, segLen - 40);
        }
        int t = outOff + l4;
        int l4Len = segLen - l4;
        int checkAt;
        if (protocol == IpProtocol.TCP) {
            BigEndian.putInt(out, t + 4, tcpSeq + payloadAt);
            int flags = out[t + 13] & 0xff;
            if (i < count - 1) {
                flags &= ~(TCP_FIN | TCP_PSH);
            }
            if (i > 0) {
                flags &= ~TCP_CWR;
            }
            out[t + 13] = (byte) flags;
            checkAt = t + 16;
        } else {
            BigEndian.putShort(out, t + 4, l4Len);
            checkAt = t + 6;
        }
        BigEndian.putShort(out, checkAt, 0);
        long s = Checksum.pseudoHeader(out, outOff, version, protocol, l4Len);
        int c = Checksum.finish(Checksum.sum(out, t, l4Len, s));
        if (c == 0 && protocol == IpProtocol.UDP) {
            c = 0xffff;
        }
        BigEndian.putShort(out, checkAt, c);
        return segLen;
    }

    private static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }
}
