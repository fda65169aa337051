package dev.strait.gateway.datapath.demux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bounded hand-off of IKE datagrams from the ESP receive thread to the IKE worker. */
class NattIkeQueueTest {
    private static final InetSocketAddress PEER = new InetSocketAddress("198.51.100.7", 4500);

    @Test
    void refusesWhenFullWithoutBlockingAndTakesAgainOnceDrained() throws Exception {
        CountDownLatch workerBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Byte> handled = new CopyOnWriteArrayList<>();
        try (NattIkeQueue q = new NattIkeQueue(3, d -> {
            if (d.bytes()[0] == 0) {
                workerBusy.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            handled.add(d.bytes()[0]);
        })) {
            assertTrue(q.offer(new byte[] {0}, PEER));
            assertTrue(workerBusy.await(10, TimeUnit.SECONDS), "the worker took datagram 0 and is busy with it");
            assertTrue(q.offer(new byte[] {1}, PEER));
            assertTrue(q.offer(new byte[] {2}, PEER));
            assertTrue(q.offer(new byte[] {3}, PEER));
            assertTrue(q.full());
            long start = System.nanoTime();
            assertFalse(q.offer(new byte[] {4}, PEER), "a fourth waiting datagram is refused");
            assertFalse(q.offer(new byte[] {5}, PEER));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "refusing does not block");
            release.countDown();
            for (int i = 0; i < 200 && handled.size() < 4; i++) {
                Thread.sleep(10);
            }
            assertEquals(List.of((byte) 0, (byte) 1, (byte) 2, (byte) 3), handled, "in order, the refused ones never");
            assertFalse(q.full());
            assertTrue(q.offer(new byte[] {6}, PEER), "room again once drained");
        }
    }
}
