package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.auth.CertificateAuthentication;
import dev.strait.gateway.ike.auth.Identity;
import dev.strait.gateway.ike.crypto.IkeProposal;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

    /** Indexes of the tunnels by their peer identity's match key, in candidate order. */
    private final Map<Object, int[]> byPeerId;
    private final boolean anyFragmentation;
    /** The certificate settings of the candidates that authenticate with certificates, in candidate order. */
    private final List<CertificateAuthentication> certificateAuths;

    private CandidateList(TunnelRuntime[] tunnels, List<List<IkeProposal>> distinct, int[] firstTunnel, Map<Object, int[]> byPeerId) {
        this.tunnels = tunnels;
        this.distinct = distinct;
        this.firstTunnel = firstTunnel;
        this.byPeerId = byPeerId;
        this.anyFragmentation = Arrays.stream(tunnels).anyMatch(t -> t.definition().fragmentation());
        this.certificateAuths = Arrays.stream(tunnels).map(t -> t.definition().certificates()).filter(Objects::nonNull).toList();
    }

    /** Whether any candidate allows IKE fragmentation (RFC 7383). */
    boolean anyFragmentation() {
        return anyFragmentation;
    }

    List<CertificateAuthentication> certificateAuths() {
        return certificateAuths;
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
        Map<Object, List<Integer>> ids = new HashMap<>();
        for (int i = 0; i < all.length; i++) {
            ids.computeIfAbsent(all[i].definition().peerId().matchKey(), k -> new ArrayList<>()).add(i);
        }
        Map<Object, int[]> byPeerId = new HashMap<>();
        ids.forEach((k, v) -> byPeerId.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return new CandidateList(all, List.copyOf(distinct), first.stream().mapToInt(Integer::intValue).toArray(), byPeerId);
    }

    /**
     * The first candidate (in order) whose peer identity is {@code peerId} and, when {@code wantedLocal} is given, whose
     * local identity is that one: a hash lookup instead of a scan, as IKE_AUTH at a responder with one tunnel per
     * remote site would otherwise compare the identity with every tunnel.
     */
    TunnelRuntime byIdentity(Identity peerId, Identity wantedLocal) {
        int[] at = byPeerId.get(peerId.matchKey());
        if (at != null) {
            for (int i : at) {
                if (wantedLocal == null || tunnels[i].definition().localId().matches(wantedLocal)) {
                    return tunnels[i];
                }
            }
        }
        return null;
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
