package dev.strait.gateway.datapath.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.datapath.demux.Demultiplexer;
import dev.strait.gateway.datapath.demux.EspSink;
import dev.strait.gateway.linux.Sockaddr;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** ESP datagrams between two FFM sockets on loopback, with and without UDP GSO/GRO: same datagrams, same order. */
class UdpGsoTest {

    /**
     * 20 x 1200 bytes (one GSO run), a shorter 700 that closes it, 3 x 900 (a new run), then 2 x 1300: longer than
     * the run before, so they cannot join it.
     */
    private static List<byte[]> datagrams() {
        List<byte[]> list = new ArrayList<>();
        int[] sizes = new int[26];
        for (int i = 0; i < 26; i++) {
            sizes[i] = i < 20 ? 1200 : i == 20 ? 700 : i < 24 ? 900 : 1300;
        }
        for (int i = 0; i < sizes.length; i++) {
            byte[] d = new byte[sizes[i]];
            for (int j = 0; j < d.length; j++) {
                d[j] = (byte) (i * 31 + j);
            }
            d[0] = (byte) (0x10 + i); // a non-zero SPI: ESP, not IKE
            list.add(d);
        }
        return list;
    }

    private static void roundTrip(boolean gso) throws Exception {
        String old = System.getProperty(BatchUdpSocket.GSO_PROPERTY);
        System.setProperty(BatchUdpSocket.GSO_PROPERTY, Boolean.toString(gso));
        LinkedBlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<byte[]> ike = new LinkedBlockingQueue<>();
        BatchUdpSocket rx = null;
        BatchUdpSocket tx = null;
        try {
            rx = new BatchUdpSocket(new InetSocketAddress("127.0.0.1", 0), new Demultiplexer(
                    (b, o, l, f) -> ike.add(Arrays.copyOfRange(b, o, o + l)), new EspSink() {
                        @Override
                        public void onEsp(byte[] buf, int len, DatagramSink.Source from) {
                            got.add(Arrays.copyOf(buf, len));
                        }

                        @Override
                        public void onBatchEnd() {
                        }
                    }));
            tx = new BatchUdpSocket(new InetSocketAddress("127.0.0.1", 0), new Demultiplexer((b, o, l, f) -> { },
                    EspSink.NONE));
            rx.start();
            EspSender esp = tx.esp();
            assertEquals(gso, esp.gso(), "GSO as configured (kernel >= 4.18)");
            assertEquals(gso, rx.rxGro(), "GRO as configured (kernel >= 5.0)");
            MemorySegment to = Sockaddr.forBind(tx.localAddress()).encode(rx.localAddress());
            List<byte[]> sent = datagrams();
            int refused = 0;
            for (byte[] d : sent) {
                // As the encryptor does: seal (here: copy) into the socket's buffer, then commit.
                int at = esp.reserve(to, d.length + 40);
                System.arraycopy(d, 0, esp.buffer(), at, d.length);
                refused += esp.commit(d.length);
            }
            refused += esp.flush();
            // IKE from another thread after a GSO run: longer than the socket's segment size, it must stay whole.
            byte[] ikeMsg = new byte[2000];
            Arrays.fill(ikeMsg, (byte) 7);
            tx.sendIke(ikeMsg, 0, ikeMsg.length, rx.localAddress());
            assertEquals(0, refused);
            for (int i = 0; i < sent.size(); i++) {
                byte[] d = got.poll(5, TimeUnit.SECONDS);
                assertArrayEquals(sent.get(i), d, "datagram " + i);
            }
            assertArrayEquals(ikeMsg, ike.poll(5, TimeUnit.SECONDS), "IKE message whole");
            assertEquals(null, got.poll(100, TimeUnit.MILLISECONDS), "nothing extra");
            if (gso) {
                // On loopback the GSO skb reaches the GRO socket whole: the split path really ran.
                assertTrue(rx.coalescedReceives() > 0, "at least one coalesced receive");
            } else {
                assertEquals(0, rx.coalescedReceives());
            }
        } finally {
            if (tx != null) {
                tx.close();
            }
            if (rx != null) {
                rx.close();
            }
            if (old == null) {
                System.clearProperty(BatchUdpSocket.GSO_PROPERTY);
            } else {
                System.setProperty(BatchUdpSocket.GSO_PROPERTY, old);
            }
        }
    }

    @Test
    void sealedInPlaceRunsLeaveFromTheHeapWithGsoAndArriveThroughGro() throws Exception {
        roundTrip(true);
    }

    @Test
    void sealedInPlaceDatagramsWithoutGso() throws Exception {
        roundTrip(false);
    }
}
