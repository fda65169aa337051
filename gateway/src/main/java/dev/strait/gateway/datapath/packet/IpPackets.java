package dev.strait.gateway.datapath.packet;

import dev.strait.gateway.wire.BigEndian;
import dev.strait.gateway.wire.IpProtocol;

/** Just enough IPv4/IPv6/TCP/ICMP handling for the tunnel: addresses, MSS clamping and "too big" errors. */
public final class IpPackets {
    private IpPackets() {
    }

    /** 4, 6, or 0 when the packet is too short to be either. */
    public static int version(byte[] p, int off, int len) {
        if (len < 1) {
            return 0;
        }
        int v = (p[off] & 0xff) >>> 4;
        if (v == 4 && len >= 20) {
            return 4;
        }
        return v == 6 && len >= 40 ? 6 : 0;
    }

    public static int srcOffset(int version) {
        return version == 4 ? 12 : 8;
    }

    public static int dstOffset(int version) {
        return version == 4 ? 16 : 24;
    }

    public static int addrLength(int version) {
        return version == 4 ? 4 : 16;
    }

    public static boolean dontFragment(byte[] p, int off) {
        return (p[off + 6] & 0x40) != 0;
    }

    /**
     * Lowers the MSS option of a TCP SYN to fit the tunnel (RFC 879 style clamping), fixing the TCP checksum
     * incrementally (RFC 1624). Returns true when the packet was changed.
     */
    public static boolean clampMss(byte[] p, int off, int len, int version, int mtu) {
        int tcp;
        int maxMss;
        if (version == 4) {
            int ihl = (p[off] & 0x0f) * 4;
            boolean firstFragment = (BigEndian.getShort(p, off + 6) & 0x1fff) == 0;
            if ((p[off + 9] & 0xff) != IpProtocol.TCP || !firstFragment || ihl < 20) {
                return false;
            }
            tcp = off + ihl;
            maxMss = mtu - 40;
        } else {
            if ((p[off + 6] & 0xff) != IpProtocol.TCP) {
                return false;
            }
            tcp = off + 40;
            maxMss = mtu - 60;
        }
        int end = off + len;
        if (tcp + 20 > end || (p[tcp + 13] & 0x02) == 0) {
            return false;
        }
        int optEnd = Math.min(tcp + ((p[tcp + 12] & 0xff) >>> 4) * 4, end);
        int i = tcp + 20;
        while (i < optEnd) {
            int kind = p[i] & 0xff;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                i++;
                continue;
            }
            if (i + 1 >= optEnd) {
                break;
            }
            int optLen = p[i + 1] & 0xff;
            if (optLen < 2 || i + optLen > optEnd) {
                break;
            }
            if (kind == 2 && optLen == 4) {
                int mss = BigEndian.getShort(p, i + 2);
                if (mss <= maxMss) {
                    return false;
                }
                BigEndian.putShort(p, i + 2, maxMss);
                int sum = ~BigEndian.getShort(p, tcp + 16) & 0xffff;
                sum += ~mss & 0xffff;
                sum += maxMss;
                sum = (sum & 0xffff) + (sum >>> 16);
                sum = (sum & 0xffff) + (sum >>> 16);
                BigEndian.putShort(p, tcp + 16, ~sum & 0xffff);
                return true;
            }
            i += optLen;
        }
        return false;
    }

    /** Never answer an ICMP error with an ICMP error (RFC 1122 3.2.2). */
    private static boolean isIcmpError(byte[] p, int off, int version) {
        if (version == 4) {
            int ihl = (p[off] & 0x0f) * 4;
            return (p[off + 9] & 0xff) == IpProtocol.ICMP && (p[off + ihl] & 0xff) != 0 && (p[off + ihl] & 0xff) != 8;
        }
        return (p[off + 6] & 0xff) == IpProtocol.ICMPV6 && (p[off + 40] & 0xff) < 128;
    }

    /**
     * Builds the error that tells the sender of a too-big packet the tunnel MTU: ICMP "fragmentation needed"
     * (type 3 code 4) for IPv4, ICMPv6 "packet too big" for IPv6. Sent as if from the original destination.
     * @return the error's length in out, or 0 when no error may be sent
     */
    public static int tooBig(byte[] p, int off, int len, int version, int mtu, byte[] out) {
        if (isIcmpError(p, off, version)) {
            return 0;
        }
        if (version == 4) {
            int ihl = (p[off] & 0x0f) * 4;
            int quoted = Math.min(len, ihl + 8);
            int total = 20 + 8 + quoted;
            java.util.Arrays.fill(out, 0, 28, (byte) 0);
            out[0] = 0x45;
            BigEndian.putShort(out, 2, total);
            out[8] = 64;
            out[9] = IpProtocol.ICMP;
            System.arraycopy(p, off + 16, out, 12, 4);
            System.arraycopy(p, off + 12, out, 16, 4);
            BigEndian.putShort(out, 10, Checksum.finish(Checksum.sum(out, 0, 20, 0)));
            out[20] = 3;
            out[21] = 4;
            BigEndian.putShort(out, 26, mtu);
            System.arraycopy(p, off, out, 28, quoted);
            BigEndian.putShort(out, 22, Checksum.finish(Checksum.sum(out, 20, 8 + quoted, 0)));
            return total;
        }
        int quoted = Math.min(len, 1280 - 48);
        int payload = 8 + quoted;
        java.util.Arrays.fill(out, 0, 48, (byte) 0);
        out[0] = 0x60;
        BigEndian.putShort(out, 4, payload);
        out[6] = (byte) IpProtocol.ICMPV6;
        out[7] = 64;
        System.arraycopy(p, off + 24, out, 8, 16);
        System.arraycopy(p, off + 8, out, 24, 16);
        out[40] = 2;
        BigEndian.putInt(out, 44, mtu);
        System.arraycopy(p, off, out, 48, quoted);
        // Pseudo-header: addresses, upper-layer length, next header.
        long pseudo = Checksum.sum(out, 8, 32, 0) + payload + IpProtocol.ICMPV6;
        BigEndian.putShort(out, 42, Checksum.finish(Checksum.sum(out, 40, payload, pseudo)));
        return 40 + payload;
    }
}
