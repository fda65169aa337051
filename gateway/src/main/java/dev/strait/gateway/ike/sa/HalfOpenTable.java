package dev.strait.gateway.ike.sa;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Responder IKE SAs between IKE_SA_INIT and a completed IKE_AUTH, by (initiator SPI, peer address) so a retransmitted
 * IKE_SA_INIT finds its SA, with counts in total, per source address, and for the addresses that are no configured
 * peer's (the shared pool a flood from strangers can fill), for the DoS limits (RFC 8019).
 */
final class HalfOpenTable {
    private record Entry(String key, InetAddress source, IkeSa sa, boolean shared) {
    }

    private final Map<String, Entry> byKey = new HashMap<>();
    private final Map<IkeSa, Entry> bySa = new HashMap<>();
    private final Map<InetAddress, Integer> perSource = new HashMap<>();
    private int shared;

    synchronized IkeSa get(String key) {
        Entry e = byKey.get(key);
        return e == null ? null : e.sa();
    }

    /** configuredPeer: the source is a tunnel's configured peer address, whose SAs do not use the shared pool. */
    synchronized void add(String key, InetAddress source, IkeSa sa, boolean configuredPeer) {
        Entry e = new Entry(key, source, sa, !configuredPeer);
        byKey.put(key, e);
        bySa.put(sa, e);
        perSource.merge(source, 1, Integer::sum);
        if (e.shared()) {
            shared++;
        }
    }

    /** The SA completed IKE_AUTH, failed or expired; no-op when it is not (or no longer) half-open. */
    synchronized void remove(IkeSa sa) {
        Entry e = bySa.remove(sa);
        if (e == null) {
            return;
        }
        byKey.remove(e.key());
        perSource.computeIfPresent(e.source(), (k, n) -> n <= 1 ? null : n - 1);
        if (e.shared()) {
            shared--;
        }
    }

    synchronized int total() {
        return bySa.size();
    }

    /** Half-open SAs from addresses that are no configured peer's. */
    synchronized int shared() {
        return shared;
    }

    synchronized int from(InetAddress source) {
        return perSource.getOrDefault(source, 0);
    }
}
