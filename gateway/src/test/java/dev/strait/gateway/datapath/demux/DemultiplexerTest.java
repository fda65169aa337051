package dev.strait.gateway.datapath.demux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strait.gateway.datapath.demux.Demultiplexer.Kind;
import dev.strait.gateway.datapath.udp.DatagramSink;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 3948 sorting of what arrives on UDP 4500. */
class DemultiplexerTest {
    private static final InetSocketAddress PEER = new InetSocketAddress("198.51.100.7", 4500);

    private final List<String> events = new ArrayList<>();
    private final List<byte[]> ike = new ArrayList<>();
    private final List<byte[]> esp = new ArrayList<>();
    private int sourceLookups;

    private final Demultiplexer demux = new Demultiplexer((buf, off, len, from) -> {
        events.add("ike from " + from);
        ike.add(Arrays.copyOfRange(buf, off, off + len));
    }, new EspSink() {
        @Override
        public void onEsp(byte[] buf, int len, DatagramSink.Source from) {
            events.add("esp");
            esp.add(Arrays.copyOf(buf, len));
        }

        @Override
        public void onBatchEnd() {
            events.add("batch end");
        }
    });

    private final DatagramSink.Source source = () -> {
        sourceLookups++;
        return PEER;
    };

    private void receive(byte... datagram) {
        // The socket reuses its buffer: a longer one with stale bytes behind the datagram.
        byte[] buf = Arrays.copyOf(datagram, datagram.length + 16);
        Arrays.fill(buf, datagram.length, buf.length, (byte) 0x5A);
        demux.onDatagram(buf, datagram.length, source);
    }

    @Test
    void classifiesByMarkerKeepaliveAndLength() {
        assertEquals(Kind.KEEPALIVE, Demultiplexer.classify(new byte[] {(byte) 0xFF}, 1));
        assertEquals(Kind.IKE, Demultiplexer.classify(new byte[] {0, 0, 0, 0}, 4));
        assertEquals(Kind.IKE, Demultiplexer.classify(new byte[] {0, 0, 0, 0, 0x21, 0x20}, 6));
        assertEquals(Kind.ESP, Demultiplexer.classify(new byte[] {0, 0, 0, 1, 0, 0, 0, 1}, 8));
        assertEquals(Kind.MALFORMED, Demultiplexer.classify(new byte[] {0, 0, 0, 1, 0, 0, 0}, 7));
        assertEquals(Kind.MALFORMED, Demultiplexer.classify(new byte[] {(byte) 0xFF, 0}, 2));
        assertEquals(Kind.MALFORMED, Demultiplexer.classify(new byte[] {0, 0, 0}, 3));
        assertEquals(Kind.MALFORMED, Demultiplexer.classify(new byte[0], 0));
        // Only len counts, not what lies behind it in the buffer.
        assertEquals(Kind.KEEPALIVE, Demultiplexer.classify(new byte[] {(byte) 0xFF, 1, 2, 3, 4, 5, 6, 7}, 1));
    }

    @Test
    void handsIkeWithoutMarkerAndEspWholeAndDropsTheRest() {
        receive((byte) 0xFF);
        receive((byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0x21, (byte) 0x22);
        receive((byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 0, (byte) 0, (byte) 0, (byte) 1, (byte) 9);
        receive((byte) 1, (byte) 2, (byte) 3);
        demux.onBatchEnd();
        assertEquals(List.of("ike from " + PEER, "esp", "batch end"), events);
        assertArrayEquals(new byte[] {0x21, 0x22}, ike.get(0));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 0, 0, 0, 1, 9}, esp.get(0));
        assertEquals(1, sourceLookups, "the sender is decoded for IKE only (ESP finds its SA by SPI)");
    }
}
