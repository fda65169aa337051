package dev.strait.gateway.ike.sa;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The candidate lists, computed once per tunnel set instead of per IKE_SA_INIT; the lists are immutable and shared
 * by the half-open SAs, so a responder with thousands of tunnels neither scans nor copies them per SA.
 */
record CandidateIndex(Map<InetAddress, List<TunnelRuntime>> byAddress, List<TunnelRuntime> anyAddress) {
    /**
     * The tunnels that accept a peer at an address (exact address matches first, then tunnels open to any address),
     * and whether the address is some tunnel's configured peer address.
     */
    record Candidates(List<TunnelRuntime> tunnels, boolean configuredPeer) {
        /** The tunnels configured with exactly this peer address (they come first). */
        List<TunnelRuntime> exactTunnels() {
            return configuredPeer ? tunnels.stream().takeWhile(t -> t.definition().peerAddress() != null).toList() : List.of();
        }
    }

    static CandidateIndex of(Collection<TunnelRuntime> tunnels) {
        Map<InetAddress, List<TunnelRuntime>> exact = new HashMap<>();
        List<TunnelRuntime> any = new ArrayList<>();
        for (TunnelRuntime t : tunnels) {
            InetAddress a = t.definition().peerAddress();
            if (a == null) {
                any.add(t);
            } else {
                exact.computeIfAbsent(a, k -> new ArrayList<>()).add(t);
            }
        }
        Map<InetAddress, List<TunnelRuntime>> byAddress = new HashMap<>();
        exact.forEach((a, ts) -> {
            List<TunnelRuntime> l = new ArrayList<>(ts);
            l.addAll(any);
            byAddress.put(a, CandidateList.of(l));
        });
        return new CandidateIndex(byAddress, CandidateList.of(any));
    }

    Candidates forPeer(InetAddress peer) {
        List<TunnelRuntime> exact = byAddress.get(peer);
        return exact != null ? new Candidates(exact, true) : new Candidates(anyAddress, false);
    }
}
