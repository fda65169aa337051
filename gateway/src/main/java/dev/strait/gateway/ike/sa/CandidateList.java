package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.crypto.IkeProposal;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * An immutable list of candidate tunnels that knows which of them share their IKE proposals, computed once per tunnel
 * set, so that matching an IKE_SA_INIT costs one matcher run per distinct proposal list, not one per tunnel.
 */
final class CandidateList extends AbstractList<TunnelRuntime> implements RandomAccess {
    private final TunnelRuntime[] tunnels;
    /** The distinct IKE proposal lists, in the order of their first tunnel. */
    private final List<List<IkeProposal>> distinct;
    /** Index of the first tunnel of each distinct proposal list. */
    private final int[] firstTunnel;

    private CandidateList(TunnelRuntime[] tunnels, List<List<IkeProposal>> distinct, int[] firstTunnel) {
        this.tunnels = tunnels;
        this.distinct = distinct;
        this.firstTunnel = firstTunnel;
    }

    static CandidateList of(List<TunnelRuntime> tunnels) {
        TunnelRuntime[] all = tunnels.toArray(TunnelRuntime[]::new);
        Map<List<IkeProposal>, Integer> seen = new HashMap<>();
        List<List<IkeProposal>> distinct = new ArrayList<>();
        List<Integer> first = new ArrayList<>();
        for (int i = 0; i < all.length; i++) {
            List<IkeProposal> p = all[i].definition().ikeProposals();
            if (seen.putIfAbsent(p, distinct.size()) == null) {
                distinct.add(p);
                first.add(i);
            }
        }
        return new CandidateList(all, List.copyOf(distinct), first.stream().mapToInt(Integer::intValue).toArray());
    }

    /** How many distinct IKE proposal lists the candidates have. */
    int proposalClasses() {
        return distinct.size();
    }

    List<IkeProposal> proposals(int proposalClass) {
        return distinct.get(proposalClass);
    }

    /** The first candidate with this proposal list (candidates are in preference order). */
    int firstTunnel(int proposalClass) {
        return firstTunnel[proposalClass];
    }

    @Override
    public TunnelRuntime get(int index) {
        return tunnels[index];
    }

    @Override
    public int size() {
        return tunnels.length;
    }
}
