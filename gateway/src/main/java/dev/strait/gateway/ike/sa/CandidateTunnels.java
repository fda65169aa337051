package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.auth.CertificateAuthentication;
import dev.strait.gateway.ike.auth.Identity;
import dev.strait.gateway.ike.crypto.IkeProposal;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
        CandidateList list = asCandidateList(candidates);
        int first = -1;
        int firstWithGroup = -1;
        IkeChoice firstChoice = null;
        IkeChoice groupChoice = null;
        for (int k = 0; k < list.proposalClasses(); k++) {
            Optional<IkeChoice> x = ProposalMatcher.selectIke(offered, list.proposals(k), peerGroup);
            if (x.isEmpty()) {
                continue;
            }
            int at = list.firstTunnel(k);
            if (first < 0 || at < first) {
                first = at;
                firstChoice = x.get();
            }
            if (x.get().group().id == peerGroup && (firstWithGroup < 0 || at < firstWithGroup)) {
                firstWithGroup = at;
                groupChoice = x.get();
            }
        }
        if (firstWithGroup >= 0) {
            return new Best(groupChoice, list.get(firstWithGroup));
        }
        return first < 0 ? new Best(null, null) : new Best(firstChoice, list.get(first));
    }

    /** The candidates whose proposals accept the chosen one; the same list when all do (shared, not copied per SA). */
    static List<TunnelRuntime> accepting(List<TunnelRuntime> candidates, Payload.Proposal chosen) {
        CandidateList list = asCandidateList(candidates);
        List<Payload.Proposal> offer = List.of(chosen);
        Set<List<IkeProposal>> refused = new HashSet<>();
        for (int k = 0; k < list.proposalClasses(); k++) {
            if (ProposalMatcher.selectIke(offer, list.proposals(k), null).isEmpty()) {
                refused.add(list.proposals(k));
            }
        }
        if (refused.isEmpty()) {
            return candidates;
        }
        return candidates.stream().filter(c -> !refused.contains(c.definition().ikeProposals())).toList();
    }

    /** The first candidate with this peer identity (and local identity, when the peer asked for one), if any. */
    static Optional<TunnelRuntime> byIdentity(List<TunnelRuntime> candidates, Identity peerId, Identity wantedLocal) {
        if (candidates instanceof CandidateList l) {
            return Optional.ofNullable(l.byIdentity(peerId, wantedLocal));
        }
        return candidates.stream()
                .filter(c -> c.definition().peerId().matches(peerId))
                .filter(c -> wantedLocal == null || c.definition().localId().matches(wantedLocal))
                .findFirst();
    }

    /** Whether any candidate allows IKE fragmentation: computed once per candidate list, not per IKE_SA_INIT. */
    static boolean anyFragmentation(List<TunnelRuntime> candidates) {
        return asCandidateList(candidates).anyFragmentation();
    }

    /** The certificate settings of the candidates that use certificates, in candidate order. */
    static List<CertificateAuthentication> certificateAuths(List<TunnelRuntime> candidates) {
        return asCandidateList(candidates).certificateAuths();
    }

    private static CandidateList asCandidateList(List<TunnelRuntime> candidates) {
        return candidates instanceof CandidateList l ? l : CandidateList.of(candidates);
    }
}
