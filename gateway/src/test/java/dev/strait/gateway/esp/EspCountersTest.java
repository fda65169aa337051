package dev.strait.gateway.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EspCountersTest {

    @Test
    void trafficFeedsTheParentAndDropsCountPerReason() {
        EspCounters tunnel = new EspCounters(null);
        EspCounters sa = new EspCounters(tunnel);
        sa.inbound(100);
        sa.inbound(50);
        sa.outbound(7);
        sa.drop(DropReason.REPLAY);
        assertEquals(150, sa.bytesIn());
        assertEquals(2, sa.packetsIn());
        assertEquals(7, sa.bytesOut());
        assertEquals(1, sa.packetsOut());
        assertEquals(150, tunnel.bytesIn());
        assertEquals(2, tunnel.packetsIn());
        assertEquals(1, tunnel.packetsOut());
        assertEquals(1, tunnel.drops(DropReason.REPLAY));
        assertEquals(0, tunnel.drops(DropReason.AUTH));
    }

    @Test
    void lastInboundIsStampedWithTheReceiveBatchClock() throws InterruptedException {
        EspCounters c = new EspCounters(null);
        assertEquals(0, c.lastInboundNanos(), "no packet yet");
        long before = System.nanoTime();
        ReceiveClock.tick(); // what the receive loop does once per batch
        c.inbound(1);
        long first = c.lastInboundNanos();
        assertTrue(first >= before, "stamped after the packet arrived");
        Thread.sleep(2);
        assertEquals(first, c.lastInboundNanos(), "no new packet: the stamp stays");
        ReceiveClock.tick();
        c.inbound(1);
        assertTrue(c.lastInboundNanos() > first, "a new packet moves it");
    }

    @Test
    void countsWrittenByOneThreadAreSeenByAnother() throws InterruptedException {
        EspCounters c = new EspCounters(null);
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 100_000; i++) {
                c.inbound(3);
                c.outbound(2);
            }
        });
        writer.join();
        assertEquals(100_000, c.packetsIn());
        assertEquals(300_000, c.bytesIn());
        assertEquals(200_000, c.bytesOut());
    }
}
