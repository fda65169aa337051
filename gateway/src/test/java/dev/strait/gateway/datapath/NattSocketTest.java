package dev.strait.gateway.datapath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strait.api.v1alpha1.GatewayConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Mode None on loopback: IKE still flows over the NAT-T port with the marker handled, ESP is ignored. */
class NattSocketTest {

    @Test
    void modeNoneStillCarriesIkeAndSplitsKeepalivesAndEsp() throws Exception {
        GatewayConfig.Datapath cfg = new GatewayConfig.Datapath();
        cfg.mode = "None";
        BlockingQueue<byte[]> ike = new ArrayBlockingQueue<>(10);
        Datapaths.Started s = Datapaths.start(cfg, new InetSocketAddress("127.0.0.1", 0),
                (buf, off, len, from) -> ike.add(java.util.Arrays.copyOfRange(buf, off, off + len)), null);
        try (DatagramChannel peer = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            InetSocketAddress to = s.natt().localAddress();
            peer.send(ByteBuffer.wrap(new byte[] {(byte) 0xFF}), to);
            peer.send(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 0, 0, 0, 1, 9, 9, 9, 9}), to); // ESP: dropped
            peer.send(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0x21, 0x22, 0x23}), to);
            assertArrayEquals(new byte[] {0x21, 0x22, 0x23}, ike.poll(5, TimeUnit.SECONDS));
            assertNull(ike.poll(200, TimeUnit.MILLISECONDS), "the keepalive and the ESP packet are not IKE");

            s.natt().sendIke(new byte[] {7, 8, 9}, 1, 2, (InetSocketAddress) peer.getLocalAddress());
            ByteBuffer got = ByteBuffer.allocate(100);
            peer.receive(got);
            assertArrayEquals(new byte[] {0, 0, 0, 0, 8, 9}, java.util.Arrays.copyOf(got.array(), got.position()));
            s.natt().sendKeepalive((InetSocketAddress) peer.getLocalAddress());
            got.clear();
            peer.receive(got);
            assertEquals(1, got.position());
            assertEquals(null, s.datapath().counters(1));
        } finally {
            s.natt().close();
            s.datapath().close();
        }
    }

    @Test
    void unknownModeIsRefused() {
        GatewayConfig.Datapath cfg = new GatewayConfig.Datapath();
        cfg.mode = "Kernel";
        assertThrows(IllegalArgumentException.class,
                () -> Datapaths.start(cfg, new InetSocketAddress("127.0.0.1", 0), (b, o, l, f) -> { }, null));
    }
}
