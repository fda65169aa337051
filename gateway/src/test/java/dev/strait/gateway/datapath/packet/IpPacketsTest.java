package dev.strait.gateway.datapath.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.datapath.sa.Prefix;
import dev.strait.gateway.wire.BigEndian;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class IpPacketsTest {

    /** IPv4 TCP SYN with one MSS option and a correct checksum. */
    private static byte[] syn(int mss) throws Exception {
        byte[] p = new byte[20 + 24];
        p[0] = 0x45;
        BigEndian.putShort(p, 2, p.length);
        p[6] = 0x40;
        p[8] = 64;
        p[9] = 6;
        System.arraycopy(InetAddress.getByName("10.11.0.1").getAddress(), 0, p, 12, 4);
        System.arraycopy(InetAddress.getByName("10.21.0.1").getAddress(), 0, p, 16, 4);
        BigEndian.putShort(p, 20, 40000);
        BigEndian.putShort(p, 22, 80);
        p[32] = (byte) (6 << 4);
        p[33] = 0x02;
        p[40] = 2;
        p[41] = 4;
        BigEndian.putShort(p, 42, mss);
        BigEndian.putShort(p, 36, tcpChecksum(p));
        return p;
    }

    private static int tcpChecksum(byte[] p) {
        byte[] pseudo = new byte[12 + p.length - 20];
        System.arraycopy(p, 12, pseudo, 0, 8);
        pseudo[9] = 6;
        BigEndian.putShort(pseudo, 10, p.length - 20);
        System.arraycopy(p, 20, pseudo, 12, p.length - 20);
        BigEndian.putShort(pseudo, 12 + 16, 0);
        return checksum(pseudo, 0, pseudo.length, 0);
    }

    @Test
    void clampsMssOfSynAndKeepsTheChecksumValid() throws Exception {
        byte[] p = syn(1460);
        assertTrue(IpPackets.clampMss(p, 0, p.length, 4, 1399));
        assertEquals(1359, BigEndian.getShort(p, 42));
        assertEquals(tcpChecksum(p), BigEndian.getShort(p, 36));
        byte[] small = syn(1200);
        assertFalse(IpPackets.clampMss(small, 0, small.length, 4, 1399));
        assertEquals(1200, BigEndian.getShort(small, 42));
    }

    @Test
    void fragNeededQuotesTheOffenderAndCarriesTheMtu() throws Exception {
        byte[] p = syn(1460);
        byte[] out = new byte[600];
        int n = IpPackets.tooBig(p, 0, p.length, 4, 1399, out);
        assertEquals(20 + 8 + 28, n);
        assertEquals(1, out[9]);
        assertEquals(0, checksum(out, 0, 20, 0), "IP header checksum verifies");
        assertEquals(0, checksum(out, 20, n - 20, 0), "ICMP checksum verifies");
        assertEquals(3, out[20]);
        assertEquals(4, out[21]);
        assertEquals(1399, BigEndian.getShort(out, 26));
        assertEquals(p[12], out[16], "sent back to the original source");
        // No error about an error.
        assertEquals(0, IpPackets.tooBig(out, 0, n, 4, 1399, new byte[600]));
    }

    @Test
    void packetTooBigForIpv6() throws Exception {
        byte[] p = new byte[1500];
        p[0] = 0x60;
        p[6] = 17;
        System.arraycopy(InetAddress.getByName("fd00:11::1").getAddress(), 0, p, 8, 16);
        System.arraycopy(InetAddress.getByName("fd00:21::1").getAddress(), 0, p, 24, 16);
        byte[] out = new byte[1500];
        int n = IpPackets.tooBig(p, 0, p.length, 6, 1399, out);
        assertEquals(1280, n);
        assertEquals(2, out[40]);
        assertEquals(1399, BigEndian.getInt(out, 44));
        int pseudo = 0;
        for (int i = 8; i < 40; i += 2) {
            pseudo += BigEndian.getShort(out, i);
        }
        assertEquals(0, checksum(out, 40, n - 40, pseudo + (n - 40) + 58));
    }

    @Test
    void prefixMatchesPartialBytes() throws Exception {
        Prefix p = Prefix.of(Cidr.parse("10.20.128.0/17"));
        byte[] a = InetAddress.getByName("10.20.200.1").getAddress();
        byte[] b = InetAddress.getByName("10.20.127.1").getAddress();
        assertTrue(p.matches(a, 0, 4));
        assertFalse(p.matches(b, 0, 4));
        assertFalse(p.matches(new byte[16], 0, 16));
        assertTrue(Prefix.of(Cidr.parse("0.0.0.0/0")).matches(b, 0, 4));
    }

    /** The Internet checksum of b[off, off+len) over an initial sum, as written into a header. */
    private static int checksum(byte[] b, int off, int len, long initial) {
        return Checksum.finish(Checksum.sum(b, off, len, initial));
    }
}
