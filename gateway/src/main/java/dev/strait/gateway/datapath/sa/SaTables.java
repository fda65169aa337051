package dev.strait.gateway.datapath.sa;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the packet threads look up, published as one immutable snapshot by the control plane: inbound SAs by SPI;
 * outbound SAs by the destination (longest remote selector first) and then the source; tunnels by destination.
 *
 * <p>Outbound order: SAs that may send before held ones (a held SA sends only when no other SA matches); among
 * them the longest matching remote selector, then the newest SA ({@link #of} takes them newest first).
 */
public final class SaTables {
    public static final SaTables EMPTY = of(Map.of(), List.of(), List.of());

    private final SpiTable inbound;
    private final SaLookup sending;
    private final SaLookup held;
    private final PrefixTrie<Tunnel> tunnels;

    private SaTables(SpiTable inbound, SaLookup sending, SaLookup held,
                     PrefixTrie<Tunnel> tunnels) {
        this.inbound = inbound;
        this.sending = sending;
        this.held = held;
        this.tunnels = tunnels;
    }

    /**
     * @param byInboundSpi the installed SAs
     * @param newestFirst  the same SAs, newest first (the held flag is read now)
     * @param tunnels      the tunnels, in the order they were added
     */
    public static SaTables of(Map<Integer, ChildSa> byInboundSpi, List<ChildSa> newestFirst, List<Tunnel> tunnels) {
        List<ChildSa> sending = new ArrayList<>();
        List<ChildSa> held = new ArrayList<>();
        for (ChildSa sa : newestFirst) {
            (sa.held().get() ? held : sending).add(sa);
        }
        PrefixTrie.Builder<Tunnel> byRemote = PrefixTrie.builder();
        for (Tunnel t : tunnels) {
            for (Prefix p : t.remote()) {
                byRemote.add(p, t);
            }
        }
        return new SaTables(SpiTable.of(byInboundSpi), SaLookup.of(sending), SaLookup.of(held), byRemote.build());
    }

    public ChildSa inbound(int spi) {
        return inbound.get(spi);
    }

    /**
     * The SA for a packet with its source address at pkt[src] and destination at pkt[dst] (addrLen bytes each), or
     * null. path is the caller's scratch of {@link PrefixTrie#MAX_DEPTH} entries (no allocation per packet).
     */
    public ChildSa outbound(byte[] pkt, int src, int dst, int addrLen, int[] path) {
        ChildSa sa = sending.find(pkt, src, dst, addrLen, path);
        return sa != null ? sa : held.find(pkt, src, dst, addrLen, path);
    }

    /** The tunnel whose remote subnets hold the destination (the longest match, then the first added), or null. */
    public Tunnel tunnelFor(byte[] pkt, int dst, int addrLen, int[] path) {
        int n = tunnels.match(pkt, dst, addrLen, path);
        return n == 0 ? null : tunnels.value(path[n - 1], 0);
    }
}
