package dev.strait.gateway.datapath.packet;

import dev.strait.gateway.linux.TunDevice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TcpCoalescerTest {
    private static final int VNET = TunDevice.VNET_HDR_LEN;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    private final List<byte[]> written = new ArrayList<>();
    private final TcpCoalescer gro = new TcpCoalescer((buf, off, len) -> {
        written.add(Arrays.copyOfRange(buf, off, off + len));
        return true;
    });

    /** MTU-sized segments of a 64 KiB-ish TCP stream, made by the (separately tested) segmenter. */
    private static List<byte[]> segments(int version, int payloadLen, int gsoSize, int flags) {
        byte[] payload = new byte[payloadLen];
        new Random(payloadLen).nextBytes(payload);
        byte[] sp = GsoSegmenterTest.tcpSuperPacket(version, payloadLen, gsoSize, flags, payload);
        GsoSegmenter g = new GsoSegmenter();
        int count = g.begin(sp, 0, sp.length);
        List<byte[]> out = new ArrayList<>();
        byte[] seg = new byte[70000];
        for (int i = 0; i < count; i++) {
            out.add(Arrays.copyOf(seg, GsoSegmenterTest.segmentCopy(g, sp, i, seg, 0)));
        }
        return out;
    }

    private int offer(byte[] pkt) {
        byte[] withRoom = new byte[VNET + pkt.length];
        System.arraycopy(pkt, 0, withRoom, VNET, pkt.length);
        return gro.offer(withRoom, VNET, pkt.length);
    }

    /** Splits a written packet back as the kernel would (or returns it alone when it has no GSO header). */
    private static List<byte[]> resegment(byte[] written) {
        GsoSegmenter g = new GsoSegmenter();
        int count = g.begin(written.clone(), 0, written.length);
        List<byte[]> out = new ArrayList<>();
        if (!g.isSuperPacket()) {
            out.add(Arrays.copyOfRange(written, VNET, written.length));
            return out;
        }
        byte[] seg = new byte[70000];
        byte[] src = written.clone();
        g.begin(src, 0, src.length);
        for (int i = 0; i < count; i++) {
            out.add(Arrays.copyOf(seg, GsoSegmenterTest.segmentCopy(g, src, i, seg, 0)));
        }
        return out;
    }

    private void assertMergesIntoOneAndSplitsBackIdentically(int version) {
        List<byte[]> segs = segments(version, 40 * 1000 + 300, 1000, ACK | PSH);
        for (byte[] s : segs) {
            assertEquals(0, offer(s));
        }
        assertEquals(1, written.size(), "the PSH on the last segment flushed everything in one write");
        byte[] w = written.get(0);
        assertEquals(TunDevice.VNET_F_NEEDS_CSUM, w[0]);
        assertEquals(version == 4 ? TunDevice.VNET_GSO_TCPV4 : TunDevice.VNET_GSO_TCPV6, w[1]);
        assertEquals(1000, (w[4] & 0xff) | (w[5] & 0xff) << 8, "gso_size");
        List<byte[]> back = resegment(w);
        assertEquals(segs.size(), back.size());
        for (int i = 0; i < segs.size(); i++) {
            assertArrayEquals(segs.get(i), back.get(i), "segment " + i);
        }
        assertEquals(0, gro.flush(), "nothing left");
        assertEquals(1, written.size());
    }

    @Test
    void mergesIpv4SegmentsIntoOneSuperPacket() {
        assertMergesIntoOneAndSplitsBackIdentically(4);
    }

    @Test
    void mergesIpv6SegmentsIntoOneSuperPacket() {
        assertMergesIntoOneAndSplitsBackIdentically(6);
    }

    @Test
    void staysBelow64KiBAndStartsANewSuperPacket() {
        List<byte[]> segs = new ArrayList<>(segments(4, 60 * 1000, 1000, ACK));
        for (byte[] s : segments(4, 60 * 1000, 1000, ACK)) {
            // The stream continues: 60,000 bytes further on (120 segments cannot fit in one IP packet).
            byte[] next = s.clone();
            int seq = ((next[24] & 0xff) << 24 | (next[25] & 0xff) << 16 | (next[26] & 0xff) << 8 | next[27] & 0xff)
                    + 60 * 1000;
            next[24] = (byte) (seq >>> 24);
            next[25] = (byte) (seq >>> 16);
            next[26] = (byte) (seq >>> 8);
            next[27] = (byte) seq;
            // ...and so do the sender's IP IDs (GRO keeps the first ID and resegmentation counts up from it).
            int id = (((next[4] & 0xff) << 8 | next[5] & 0xff) + 60) & 0xffff;
            next[4] = (byte) (id >>> 8);
            next[5] = (byte) id;
            next[10] = 0;
            next[11] = 0;
            int c = ~GsoSegmenterTest.onesSum(next, 0, 20) & 0xffff;
            next[10] = (byte) (c >>> 8);
            next[11] = (byte) c;
            fixTcpChecksum(next);
            segs.add(next);
        }
        for (byte[] s : segs) {
            offer(s);
        }
        gro.flush();
        assertEquals(2, written.size());
        List<byte[]> back = new ArrayList<>();
        for (byte[] w : written) {
            assertTrue(w.length - VNET <= 65535);
            back.addAll(resegment(w));
        }
        assertEquals(segs.size(), back.size());
        for (int i = 0; i < segs.size(); i++) {
            assertArrayEquals(segs.get(i), back.get(i), "segment " + i);
        }
    }

    @Test
    void gapInSequenceOrOtherFlowStartsAnotherPacket() {
        List<byte[]> segs = segments(4, 5000, 1000, ACK);
        offer(segs.get(0));
        offer(segs.get(1));
        offer(segs.get(3)); // segment 2 lost
        byte[] otherFlow = segs.get(4).clone();
        otherFlow[20 + 1] ^= 1; // source port
        fixTcpChecksum(otherFlow);
        offer(otherFlow);
        gro.flush();
        assertEquals(3, written.size());
        assertEquals(2, resegment(written.get(0)).size());
        assertArrayEquals(segs.get(3), resegment(written.get(1)).get(0));
        assertEquals(0, written.get(1)[1], "a single segment goes without GSO");
        assertArrayEquals(otherFlow, resegment(written.get(2)).get(0));
    }

    @Test
    void segmentWithBadChecksumIsNeverMergedButStillDelivered() {
        List<byte[]> segs = segments(6, 3000, 1000, ACK);
        byte[] bad = segs.get(1).clone();
        bad[bad.length - 1] ^= 0x40;
        offer(segs.get(0));
        offer(bad);
        offer(segs.get(2));
        gro.flush();
        assertEquals(3, written.size(), "no merge across the damaged segment");
        assertArrayEquals(bad, Arrays.copyOfRange(written.get(1), VNET, written.get(1).length));
        assertTrue(!GsoSegmenterTest.l4ChecksumValid(bad, bad.length, 6, 40, 6), "the kernel will drop it");
    }

    @Test
    void nonTcpAndPureAcksPassAloneInOrder() {
        List<byte[]> segs = segments(4, 2000, 1000, ACK);
        byte[] udp = new byte[40];
        udp[0] = 0x45;
        udp[3] = 40;
        udp[9] = 17;
        offer(segs.get(0));
        offer(udp);
        offer(segs.get(1));
        gro.flush();
        assertEquals(3, written.size());
        assertArrayEquals(segs.get(0), resegment(written.get(0)).get(0));
        assertArrayEquals(udp, Arrays.copyOfRange(written.get(1), VNET, written.get(1).length));
        assertArrayEquals(segs.get(1), resegment(written.get(2)).get(0));
    }

    /**
     * Decrypting in place (reserve, write into target, offerReserved or cancel) must write exactly what offering
     * copies does: random streams of in-order and lost segments, damaged ones, other packets, dropped packets
     * (whose garbage lands in the target before cancel) and batch ends.
     */
    @Test
    void reservedPathWritesExactlyWhatTheCopyingPathWrites() {
        Random r = new Random(5);
        for (int round = 0; round < 60; round++) {
            int version = r.nextBoolean() ? 4 : 6;
            int gso = 20 + r.nextInt(1500);
            List<byte[]> segs = segments(version, 1 + r.nextInt(65_000), gso, ACK | (r.nextInt(4) == 0 ? PSH : 0));
            List<byte[]> copying = new ArrayList<>();
            List<byte[]> inPlace = new ArrayList<>();
            TcpCoalescer reference = new TcpCoalescer((b, off, len) -> copying.add(Arrays.copyOfRange(b, off, off + len)));
            TcpCoalescer subject = new TcpCoalescer((b, off, len) -> inPlace.add(Arrays.copyOfRange(b, off, off + len)));
            for (byte[] seg : segs) {
                int what = r.nextInt(40);
                byte[] p = seg;
                if (what == 0) {
                    continue; // lost
                } else if (what == 1) {
                    p = seg.clone();
                    p[p.length - 1] ^= 0x11; // damaged
                } else if (what == 2) {
                    p = new byte[28 + r.nextInt(100)]; // not TCP
                    p[0] = 0x45;
                    p[3] = (byte) p.length;
                    p[9] = 17;
                }
                int espLen = p.length + 60;
                int at = subject.reserve(espLen);
                byte[] target = subject.target();
                if (what == 3) {
                    // Dropped after decryption (auth or policy): garbage in the target, then cancel.
                    for (int i = 0; i < p.length + 5; i++) {
                        target[at + i] = (byte) r.nextInt();
                    }
                    subject.cancel();
                    continue;
                }
                System.arraycopy(p, 0, target, at, p.length);
                for (int i = 0; i < 5; i++) {
                    target[at + p.length + i] = (byte) r.nextInt(); // ESP trailer bytes behind the packet
                }
                byte[] withRoom = new byte[VNET + p.length];
                System.arraycopy(p, 0, withRoom, VNET, p.length);
                assertEquals(reference.offer(withRoom, VNET, p.length), subject.offerReserved(p.length));
                if (r.nextInt(30) == 0) {
                    reference.flush();
                    subject.flush();
                }
            }
            reference.flush();
            subject.flush();
            assertTrue(segs.size() < 3 || !copying.isEmpty(), "something was written");
            assertEquals(copying.size(), inPlace.size(), "writes in round " + round);
            for (int i = 0; i < copying.size(); i++) {
                assertArrayEquals(copying.get(i), inPlace.get(i), "write " + i + " of round " + round);
            }
        }
    }

    private static void fixTcpChecksum(byte[] p) {
        p[36] = 0;
        p[37] = 0;
        int l4 = p.length - 20;
        byte[] pseudo = new byte[12];
        System.arraycopy(p, 12, pseudo, 0, 8);
        pseudo[9] = 6;
        pseudo[10] = (byte) (l4 >>> 8);
        pseudo[11] = (byte) l4;
        int s = GsoSegmenterTest.onesSum(pseudo, 0, 12) + GsoSegmenterTest.onesSum(p, 20, l4);
        s = (s & 0xffff) + (s >>> 16);
        int c = ~s & 0xffff;
        p[36] = (byte) (c >>> 8);
        p[37] = (byte) c;
    }
}
