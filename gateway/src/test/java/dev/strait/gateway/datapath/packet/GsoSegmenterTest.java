package dev.strait.gateway.datapath.packet;

import dev.strait.gateway.linux.TunDevice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

public class GsoSegmenterTest {
    private static final int VNET = TunDevice.VNET_HDR_LEN;
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;
    private static final int CWR = 0x80;

    // ---- an independent checksum: plain 16-bit words, int arithmetic, no shared code with Checksum ------------

    static int onesSum(byte[] b, int off, int len) {
        int s = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            s += hi << 8 | lo;
            s = (s & 0xffff) + (s >>> 16);
        }
        return s;
    }

    /** True when the transport checksum of the packet at p[0..len) verifies over the pseudo-header. */
    static boolean l4ChecksumValid(byte[] p, int len, int version, int l4, int proto) {
        int l4Len = len - l4;
        byte[] pseudo = version == 4 ? new byte[12] : new byte[40];
        if (version == 4) {
            System.arraycopy(p, 12, pseudo, 0, 8);
            pseudo[9] = (byte) proto;
            pseudo[10] = (byte) (l4Len >>> 8);
            pseudo[11] = (byte) l4Len;
        } else {
            System.arraycopy(p, 8, pseudo, 0, 32);
            pseudo[34] = (byte) (l4Len >>> 8);
            pseudo[35] = (byte) l4Len;
            pseudo[39] = (byte) proto;
        }
        int s = onesSum(pseudo, 0, pseudo.length) + onesSum(p, l4, l4Len);
        s = (s & 0xffff) + (s >>> 16);
        return s == 0xffff;
    }

    private static boolean ipv4HeaderValid(byte[] p) {
        return onesSum(p, 0, (p[0] & 0x0f) * 4) == 0xffff;
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | b[off + 1] & 0xff;
    }

    private static int u32(byte[] b, int off) {
        return u16(b, off) << 16 | u16(b, off + 2);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static void putLe16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    // ---- super-packets as a TUN with TSO hands them out ------------------------------------------------------

    /** vnet header + IPv4/IPv6 + TCP (with 12 option bytes) + payload; the TCP checksum field holds junk. */
    public static byte[] tcpSuperPacket(int version, int payloadLen, int gsoSize, int flags, byte[] payload) {
        int ipHdr = version == 4 ? 20 : 40;
        int tcpHdr = 32;
        int len = ipHdr + tcpHdr + payloadLen;
        byte[] b = new byte[VNET + len];
        b[0] = TunDevice.VNET_F_NEEDS_CSUM;
        b[1] = (byte) (version == 4 ? TunDevice.VNET_GSO_TCPV4 : TunDevice.VNET_GSO_TCPV6);
        putLe16(b, 2, ipHdr + tcpHdr);
        putLe16(b, 4, gsoSize);
        putLe16(b, 6, ipHdr);
        putLe16(b, 8, 16);
        int ip = VNET;
        if (version == 4) {
            b[ip] = 0x45;
            put16(b, ip + 2, len);
            put16(b, ip + 4, 0xfffe); // ID wraps during segmentation
            b[ip + 6] = 0x40;
            b[ip + 8] = 64;
            b[ip + 9] = 6;
            byte[] addrs = {10, 10, 0, 2, 10, 20, 0, 2};
            System.arraycopy(addrs, 0, b, ip + 12, 8);
        } else {
            b[ip] = 0x60;
            put16(b, ip + 4, len - 40);
            b[ip + 6] = 6;
            b[ip + 7] = 64;
            for (int i = 0; i < 32; i++) {
                b[ip + 8 + i] = (byte) (0xfd + i * 7);
            }
        }
        int t = ip + ipHdr;
        put16(b, t, 40000);
        put16(b, t + 2, 5201);
        put16(b, t + 4, 0xffff);
        put16(b, t + 6, 0xff00); // sequence 0xffffff00: wraps too
        b[t + 12] = (byte) (8 << 4);
        b[t + 13] = (byte) flags;
        put16(b, t + 14, 501);
        put16(b, t + 16, 0x1234);
        b[t + 20] = 1;
        b[t + 21] = 1;
        b[t + 22] = 8;
        b[t + 23] = 10;
        System.arraycopy(payload, 0, b, t + tcpHdr, payloadLen);
        return b;
    }

    private static void assertTcpSegments(int version) {
        byte[] payload = new byte[4500];
        new Random(7).nextBytes(payload);
        int gsoSize = 1000;
        byte[] sp = tcpSuperPacket(version, payload.length, gsoSize, ACK | PSH | FIN | CWR, payload);
        GsoSegmenter g = new GsoSegmenter();
        int count = g.begin(sp, 0, sp.length);
        assertEquals(5, count);
        assertTrue(g.isSuperPacket());
        int ipHdr = version == 4 ? 20 : 40;
        int hdr = ipHdr + 32;
        byte[] out = new byte[2000];
        for (int i = 0; i < count; i++) {
            Arrays.fill(out, (byte) 0x55);
            int n = segmentCopy(g, sp, i, out, 0);
            int pay = i < 4 ? 1000 : 500;
            assertEquals(hdr + pay, n);
            if (version == 4) {
                assertEquals(n, u16(out, 2));
                assertEquals((0xfffe + i) & 0xffff, u16(out, 4), "IP ID counts up per segment");
                assertTrue(ipv4HeaderValid(out), "IPv4 header checksum of segment " + i);
            } else {
                assertEquals(n - 40, u16(out, 4));
            }
            assertEquals(0xffffff00 + i * gsoSize, u32(out, ipHdr + 4), "sequence number of segment " + i);
            int flags = out[ipHdr + 13] & 0xff;
            assertEquals(i == 4, (flags & FIN) != 0, "FIN only on the last");
            assertEquals(i == 4, (flags & PSH) != 0, "PSH only on the last");
            assertEquals(i == 0, (flags & CWR) != 0, "CWR only on the first");
            assertTrue((flags & ACK) != 0);
            assertEquals(10, out[ipHdr + 23], "options copied");
            assertArrayEquals(Arrays.copyOfRange(payload, i * gsoSize, i * gsoSize + pay),
                    Arrays.copyOfRange(out, hdr, n));
            assertTrue(l4ChecksumValid(out, n, version, ipHdr, 6), "TCP checksum of segment " + i);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> g.segmentInPlace(5));
    }

    /**
     * Packet i of the super-packet sp that g was begun on, cut in place (as the datapath does) and copied to
     * out[outOff..]; packets must be taken in order.
     */
    public static int segmentCopy(GsoSegmenter g, byte[] sp, int i, byte[] out, int outOff) {
        int n = g.segmentInPlace(i);
        System.arraycopy(sp, g.inPlaceOffset(i), out, outOff, n);
        return n;
    }

    @Test
    void inPlaceSegmentsMustBeTakenInOrder() {
        byte[] sp = tcpSuperPacket(4, 3000, 1000, ACK, new byte[3000]);
        GsoSegmenter g = new GsoSegmenter();
        assertEquals(3, g.begin(sp, 0, sp.length));
        assertThrows(IllegalStateException.class, () -> g.segmentInPlace(1));
        g.segmentInPlace(0);
        assertThrows(IllegalStateException.class, () -> g.segmentInPlace(0));
        g.segmentInPlace(1);
        g.segmentInPlace(2);
        assertThrows(IndexOutOfBoundsException.class, () -> g.segmentInPlace(3));
    }

    @Test
    void splitsIpv4TcpSuperPacket() {
        assertTcpSegments(4);
    }

    @Test
    void splitsIpv6TcpSuperPacket() {
        assertTcpSegments(6);
    }

    @Test
    void splitsUdpL4SuperPacketWithUdpLengthAndChecksum() {
        byte[] payload = new byte[2500];
        new Random(3).nextBytes(payload);
        int len = 20 + 8 + payload.length;
        byte[] b = new byte[VNET + len];
        b[0] = TunDevice.VNET_F_NEEDS_CSUM;
        b[1] = TunDevice.VNET_GSO_UDP_L4;
        putLe16(b, 4, 1200);
        putLe16(b, 6, 20);
        putLe16(b, 8, 6);
        b[VNET] = 0x45;
        put16(b, VNET + 2, len);
        b[VNET + 8] = 64;
        b[VNET + 9] = 17;
        System.arraycopy(new byte[] {10, 10, 0, 2, 10, 20, 0, 2}, 0, b, VNET + 12, 8);
        put16(b, VNET + 20, 4000);
        put16(b, VNET + 22, 5000);
        System.arraycopy(payload, 0, b, VNET + 28, payload.length);
        GsoSegmenter g = new GsoSegmenter();
        assertEquals(3, g.begin(b, 0, b.length));
        byte[] out = new byte[1500];
        int[] sizes = {1200, 1200, 100};
        for (int i = 0; i < 3; i++) {
            int n = segmentCopy(g, b, i, out, 0);
            assertEquals(28 + sizes[i], n);
            assertEquals(8 + sizes[i], u16(out, 24), "UDP length");
            assertTrue(ipv4HeaderValid(out));
            assertTrue(l4ChecksumValid(out, n, 4, 20, 17), "UDP checksum of datagram " + i);
            assertArrayEquals(Arrays.copyOfRange(payload, i * 1200, i * 1200 + sizes[i]),
                    Arrays.copyOfRange(out, 28, n));
        }
    }

    @Test
    void completesPartialChecksumOfSinglePacketInPlace() {
        byte[] payload = new byte[301]; // odd length: the last byte is a high half-word
        new Random(5).nextBytes(payload);
        byte[] b = tcpSuperPacket(4, payload.length, 0, ACK, payload);
        b[1] = TunDevice.VNET_GSO_NONE;
        // As the kernel leaves it for CHECKSUM_PARTIAL: the field holds the (uncomplemented) pseudo-header sum.
        int l4Len = 32 + payload.length;
        byte[] pseudo = {10, 10, 0, 2, 10, 20, 0, 2, 0, 6, (byte) (l4Len >>> 8), (byte) l4Len};
        put16(b, VNET + 20 + 16, onesSum(pseudo, 0, 12));
        GsoSegmenter g = new GsoSegmenter();
        assertEquals(1, g.begin(b, 0, b.length));
        assertFalse(g.isSuperPacket());
        assertEquals(VNET, g.packetOffset());
        assertEquals(b.length - VNET, g.packetLength());
        byte[] pkt = Arrays.copyOfRange(b, VNET, b.length);
        assertTrue(l4ChecksumValid(pkt, pkt.length, 4, 20, 6));
    }

    @Test
    void leavesPacketWithoutOffloadFlagsAlone() {
        byte[] b = tcpSuperPacket(6, 100, 0, ACK, new byte[100]);
        b[0] = 0;
        b[1] = 0;
        byte[] before = b.clone();
        GsoSegmenter g = new GsoSegmenter();
        assertEquals(1, g.begin(b, 0, b.length));
        assertFalse(g.isSuperPacket());
        assertArrayEquals(before, b);
        assertThrows(IndexOutOfBoundsException.class, () -> g.segmentInPlace(0));
    }

    @Test
    void rejectsMalformedHeadersAndPackets() {
        GsoSegmenter g = new GsoSegmenter();
        byte[] ok = tcpSuperPacket(4, 3000, 1000, ACK, new byte[3000]);
        assertEquals(3, g.begin(ok, 0, ok.length));

        byte[] v6TypeOnV4 = ok.clone();
        v6TypeOnV4[1] = TunDevice.VNET_GSO_TCPV6;
        assertEquals(-1, g.begin(v6TypeOnV4, 0, v6TypeOnV4.length));

        byte[] zeroSize = ok.clone();
        putLe16(zeroSize, 4, 0);
        assertEquals(-1, g.begin(zeroSize, 0, zeroSize.length));

        byte[] noCsum = ok.clone();
        noCsum[0] = 0;
        assertEquals(-1, g.begin(noCsum, 0, noCsum.length));

        assertEquals(-1, g.begin(ok, 0, ok.length - 1), "IP total length disagrees with the read");
        assertEquals(-1, g.begin(ok, 0, VNET + 10), "too short for any IP header");

        byte[] hugeDataOffset = ok.clone();
        hugeDataOffset[VNET + 20 + 12] = (byte) 0x10; // 4 bytes: below the TCP minimum
        assertEquals(-1, g.begin(hugeDataOffset, 0, hugeDataOffset.length));

        byte[] udpProto = ok.clone();
        udpProto[VNET + 9] = 17;
        assertEquals(-1, g.begin(udpProto, 0, udpProto.length));

        byte[] csumOutside = tcpSuperPacket(4, 10, 0, ACK, new byte[10]);
        csumOutside[1] = 0;
        putLe16(csumOutside, 6, 60);
        assertEquals(-1, g.begin(csumOutside, 0, csumOutside.length));
    }

    @Test
    void checksumMatchesTheSimpleRoutineForAllLengthsAndOffsets() {
        byte[] b = new byte[300];
        new Random(11).nextBytes(b);
        for (int off = 0; off < 9; off++) {
            for (int len = 0; len < 280; len++) {
                int expected = ~onesSum(b, off, len) & 0xffff;
                assertEquals(expected, Checksum.finish(Checksum.sum(b, off, len, 0)), off + "/" + len);
            }
        }
    }
}
