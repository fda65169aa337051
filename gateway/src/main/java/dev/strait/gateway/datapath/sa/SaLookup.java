package dev.strait.gateway.datapath.sa;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds the outbound SA for a packet: the longest remote selector holding the destination, then, among SAs with that
 * selector, the first (newest) whose local selectors hold the source; failing that, the next shorter selector. With
 * a few selectors a scan of them sorted longest first is fastest; with more, a {@link PrefixTrie} walk (its cost
 * grows with the branching, not with the number of tunnels). Both give the same answer.
 */
final class SaLookup {
    /** Up to this many selectors a scan beats the trie walk (OutboundLookupBenchmark: they meet near 10). */
    private static final int SCAN_MAX = 8;

    private record Candidate(Prefix remote, ChildSa sa) {
    }

    private final Candidate[] scan;
    private final PrefixTrie<ChildSa> trie;

    private SaLookup(Candidate[] scan, PrefixTrie<ChildSa> trie) {
        this.scan = scan;
        this.trie = trie;
    }

    /** @param sas in order of preference (newest first) */
    static SaLookup of(List<ChildSa> sas) {
        List<Candidate> all = new ArrayList<>();
        for (ChildSa sa : sas) {
            for (Prefix p : sa.remote()) {
                all.add(new Candidate(p, sa));
            }
        }
        if (all.size() <= SCAN_MAX) {
            // Stable: equal lengths keep the order of preference, as the trie keeps it per node.
            all.sort(Comparator.comparingInt((Candidate c) -> c.remote().length()).reversed());
            return new SaLookup(all.toArray(Candidate[]::new), null);
        }
        PrefixTrie.Builder<ChildSa> b = PrefixTrie.builder();
        for (Candidate c : all) {
            b.add(c.remote(), c.sa());
        }
        return new SaLookup(null, b.build());
    }

    ChildSa find(byte[] pkt, int src, int dst, int addrLen, int[] path) {
        if (scan != null) {
            for (Candidate c : scan) {
                if (c.remote().matches(pkt, dst, addrLen) && Prefix.any(c.sa().local(), pkt, src, addrLen)) {
                    return c.sa();
                }
            }
            return null;
        }
        for (int i = trie.match(pkt, dst, addrLen, path) - 1; i >= 0; i--) {
            int node = path[i];
            for (int j = 0, n = trie.size(node); j < n; j++) {
                ChildSa sa = trie.value(node, j);
                if (Prefix.any(sa.local(), pkt, src, addrLen)) {
                    return sa;
                }
            }
        }
        return null;
    }
}
