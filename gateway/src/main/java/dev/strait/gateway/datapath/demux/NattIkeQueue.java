package dev.strait.gateway.datapath.demux;

import dev.strait.gateway.linux.ThreadNice;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands IKE datagrams that arrived on the NAT-T port from the ESP receive thread to an IKE worker thread, as
 * wireguard-go hands handshake packets to their own workers: decoding, cookie MACs and new IKE SAs never take the
 * time of the thread that decrypts ESP. The queue is bounded; when it is full the datagram is dropped (the caller
 * counts it) instead of making the ESP thread wait, and the worker runs at a lower CPU priority than the ESP thread.
 * The hand-off is lock-free: with a lock, a worker preempted while holding it (it yields the CPU by design) would
 * stall the ESP thread.
 */
public final class NattIkeQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NattIkeQueue.class);
    /** Enough for bursts of a few thousand peers re-establishing at once; a flood beyond it is dropped. */
    public static final int CAPACITY = 4096;
    /** Nice value of the worker thread: about a tenth of the CPU share of a normal thread under contention. */
    private static final int WORKER_NICE = 10;

    public record Datagram(byte[] bytes, InetSocketAddress from) {
    }

    private final int capacity;
    private final ConcurrentLinkedQueue<Datagram> queue = new ConcurrentLinkedQueue<>();
    /** Datagrams queued; reserved before the insert, so the bound holds without a lock. */
    private final AtomicInteger size = new AtomicInteger();
    private final Thread worker;
    private volatile boolean closed;
    /** The worker is about to park or parked; set before its last look at the queue (see drain). */
    private volatile boolean idle;

    public NattIkeQueue(int capacity, Consumer<Datagram> handler) {
        this.capacity = capacity;
        this.worker = Thread.ofPlatform().name("ike-natt").daemon().start(() -> drain(handler));
    }

    /** A cheap look before copying a datagram that would not fit anyway. */
    public boolean full() {
        return size.get() >= capacity;
    }

    /** Never blocks; false when the queue is full (the datagram is not taken). */
    public boolean offer(byte[] bytes, InetSocketAddress from) {
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            return false;
        }
        queue.offer(new Datagram(bytes, from));
        if (idle) { // under a flood the worker is busy, so the ESP thread does not pay for a wake-up per datagram
            LockSupport.unpark(worker);
        }
        return true;
    }

    private void drain(Consumer<Datagram> handler) {
        // When IKE and ESP compete for the CPU (a flood on 2 cores), ESP wins: the queue fills and sheds IKE instead.
        if (!ThreadNice.setForCurrentThread(WORKER_NICE)) {
            LOG.debug("IKE worker runs at normal priority");
        }
        while (!closed) {
            Datagram d = queue.poll();
            if (d == null) {
                // idle before the last look: an offer after this look sees idle and unparks us (volatile order)
                idle = true;
                if (queue.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                idle = false;
                continue;
            }
            size.decrementAndGet();
            try {
                handler.accept(d);
            } catch (RuntimeException e) {
                LOG.warn("IKE datagram from NAT-T port not handled: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(worker);
    }
}
