package dev.strait.gateway.ike.sa;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Responder IKE SAs between IKE_SA_INIT and a completed IKE_AUTH, by (initiator SPI, peer address) so a retransmitted
 * IKE_SA_INIT finds its SA, with counts in total and per source address for the DoS limits (RFC 8019).
 */
final class HalfOpenTable {
    private record Entry(String key, InetAddress source, IkeSa sa) {
    }

    private final Map<String, Entry> byKey = new HashMap<>();
    private final Map<IkeSa, Entry> bySa = new HashMap<>();
    private final Map<InetAddress, Integer> perSource = new HashMap<>();

    synchronized IkeSa get(String key) {
        Entry e = byKey.get(key);
        return e == null ? null : e.sa();
    }

    synchronized void add(String key, InetAddress source, IkeSa sa) {
        Entry e = new Entry(key, source, sa);
        byKey.put(key, e);
        bySa.put(sa, e);
        perSource.merge(source, 1, Integer::sum);
    }

    /** The SA completed IKE_AUTH, failed or expired; no-op when it is not (or no longer) half-open. */
    synchronized void remove(IkeSa sa) {
        Entry e = bySa.remove(sa);
        if (e == null) {
            return;
        }
        byKey.remove(e.key());
        perSource.computeIfPresent(e.source(), (k, n) -> n <= 1 ? null : n - 1);
    }

    synchronized int total() {
        return bySa.size();
    }

    synchronized int from(InetAddress source) {
        return perSource.getOrDefault(source, 0);
    }
}
