package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.crypto.IkeProposal;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Proposal matching of an IKE_SA_INIT against every tunnel that accepts the peer's address. A responder with many
 * tunnels behind one address (or open to any address) would otherwise run the matcher once per tunnel per
 * IKE_SA_INIT; tunnels almost always share their IKE proposals, so each distinct proposal list is matched once.
 */
final class CandidateTunnels {
    private CandidateTunnels() {
    }

    /** The choice and the tunnel it came from; both null when no tunnel accepts the offer. */
    record Best(IkeChoice choice, TunnelRuntime tunnel) {
    }

    /**
     * The first candidate (in order) whose proposals accept the offer, replaced by a later one only when the later
     * one can use the peer's key exchange group and the first cannot (so no INVALID_KE_PAYLOAD round trip is needed).
     */
    static Best bestIke(List<TunnelRuntime> candidates, List<Payload.Proposal> offered, int peerGroup) {
        Map<List<IkeProposal>, Optional<IkeChoice>> memo = new HashMap<>();
        IkeChoice chosen = null;
        TunnelRuntime chosenTunnel = null;
        for (TunnelRuntime c : candidates) {
            if (chosen != null && chosen.group().id == peerGroup) {
                break; // nothing later can replace it
            }
            Optional<IkeChoice> x = memo.computeIfAbsent(c.definition().ikeProposals(),
                    ours -> ProposalMatcher.selectIke(offered, ours, peerGroup));
            if (x.isPresent() && (chosen == null || x.get().group().id == peerGroup)) {
                chosen = x.get();
                chosenTunnel = c;
            }
        }
        return new Best(chosen, chosenTunnel);
    }

    /** The candidates whose proposals accept the chosen one; the same list when all do (shared, not copied per SA). */
    static List<TunnelRuntime> accepting(List<TunnelRuntime> candidates, Payload.Proposal chosen) {
        Map<List<IkeProposal>, Boolean> memo = new HashMap<>();
        List<Payload.Proposal> offer = List.of(chosen);
        List<TunnelRuntime> out = null;
        for (int i = 0; i < candidates.size(); i++) {
            TunnelRuntime c = candidates.get(i);
            boolean ok = memo.computeIfAbsent(c.definition().ikeProposals(),
                    ours -> ProposalMatcher.selectIke(offer, ours, null).isPresent());
            if (!ok && out == null) {
                out = new ArrayList<>(candidates.subList(0, i));
            } else if (ok && out != null) {
                out.add(c);
            }
        }
        return out == null ? candidates : List.copyOf(out);
    }
}
