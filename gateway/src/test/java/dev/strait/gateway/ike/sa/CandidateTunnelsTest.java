package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.ProposalParser;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import dev.strait.gateway.testing.PskTunnels;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CandidateTunnelsTest {
    private static final IkeEngine ENGINE = new IkeEngine(IkeEngine.Settings.defaults(new InetSocketAddress("127.0.0.1", 0), 0), null);
    private static final int X25519 = Algorithms.Group.CURVE25519.id;

    private static TunnelRuntime tunnel(String name, String ike) throws Exception {
        return new TunnelRuntime(ENGINE, TunnelDefinition.from(PskTunnels.tunnel(name, "192.0.2.1", "b.test",
                name + ".test", "10.20.0.0/24", "10.10.0.0/24", ike, "aes256gcm16", TunnelSpec.Initiation.Passive, "candidate-tunnels-test-psk-" + name)));
    }

    private static List<Payload.Proposal> offer(String... ike) {
        return ProposalMatcher.ikeOffer(java.util.Arrays.stream(ike).map(p -> ProposalParser.parseIke(p, false)).toList(), new byte[0]);
    }

    /** The per-tunnel loop the responder ran before: the reference for bestIke. */
    private static CandidateTunnels.Best reference(List<TunnelRuntime> candidates, List<Payload.Proposal> offered, int group) {
        IkeChoice chosen = null;
        TunnelRuntime chosenTunnel = null;
        for (TunnelRuntime c : candidates) {
            Optional<IkeChoice> x = ProposalMatcher.selectIke(offered, c.definition().ikeProposals(), group);
            if (x.isPresent() && (chosen == null || x.get().group().id == group && chosen.group().id != group)) {
                chosen = x.get();
                chosenTunnel = c;
            }
        }
        return new CandidateTunnels.Best(chosen, chosenTunnel);
    }

    private static void assertSameChoice(CandidateTunnels.Best expected, CandidateTunnels.Best actual) {
        assertSame(expected.tunnel(), actual.tunnel());
        assertEquals(expected.choice() == null ? null : expected.choice().describe(),
                actual.choice() == null ? null : actual.choice().describe());
    }

    @Test
    void manyTunnelsWithOneProposalShareTheListAndPickTheFirst() throws Exception {
        List<TunnelRuntime> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(tunnel("lt" + i, "aes256gcm16-prfsha384-x25519"));
        }
        CandidateList list = CandidateList.of(all);
        assertEquals(1, list.proposalClasses());
        List<Payload.Proposal> offered = offer("aes256gcm16-prfsha384-x25519");
        CandidateTunnels.Best best = CandidateTunnels.bestIke(list, offered, X25519);
        assertSameChoice(reference(all, offered, X25519), best);
        assertSame(all.get(0), best.tunnel());
        assertSame(list, CandidateTunnels.accepting(list, best.choice().wire()), "all accept: no per-SA copy");
    }

    @Test
    void laterTunnelWithThePeersGroupWinsAsBefore() throws Exception {
        List<TunnelRuntime> all = List.of(
                tunnel("a", "aes128gcm16-prfsha256-ecp384"),          // refuses the offer
                tunnel("b", "aes256gcm16-prfsha384-ecp256"),          // accepts, needs INVALID_KE_PAYLOAD
                tunnel("c", "aes256gcm16-prfsha384-ecp256"),
                tunnel("d", "aes256gcm16-prfsha384-x25519"),          // accepts with the peer's group
                tunnel("e", "aes256gcm16-prfsha384-x25519"));
        List<Payload.Proposal> offered = offer("aes256gcm16-prfsha384-ecp256-x25519");
        CandidateTunnels.Best best = CandidateTunnels.bestIke(CandidateList.of(all), offered, X25519);
        assertSameChoice(reference(all, offered, X25519), best);
        assertEquals("d", best.tunnel().name());
        // with the ecp256 key share the first accepting tunnel stays
        CandidateTunnels.Best ecp = CandidateTunnels.bestIke(CandidateList.of(all), offered, Algorithms.Group.ECP_256.id);
        assertSameChoice(reference(all, offered, Algorithms.Group.ECP_256.id), ecp);
        assertEquals("b", ecp.tunnel().name());

        List<TunnelRuntime> accepting = CandidateTunnels.accepting(CandidateList.of(all), best.choice().wire());
        assertEquals(List.of("d", "e"), accepting.stream().map(TunnelRuntime::name).toList());
        // a plain list (not from the engine's index) gives the same answers
        assertSameChoice(reference(all, offered, X25519), CandidateTunnels.bestIke(all, offered, X25519));
    }

    @Test
    void noAcceptableProposal() throws Exception {
        List<TunnelRuntime> all = List.of(tunnel("a", "aes128gcm16-prfsha256-ecp384"));
        CandidateTunnels.Best best = CandidateTunnels.bestIke(CandidateList.of(all), offer("aes256gcm16-prfsha384-x25519"), X25519);
        assertNull(best.choice());
        assertNull(best.tunnel());
    }

    private static TunnelRuntime tunnelWithIds(String name, String localId, String peerId) throws Exception {
        return new TunnelRuntime(ENGINE, TunnelDefinition.from(PskTunnels.tunnel(name, "192.0.2.1", localId,
                peerId, "10.20.0.0/24", "10.10.0.0/24", "aes256gcm16-prfsha384-x25519", "aes256gcm16",
                TunnelSpec.Initiation.Passive, "candidate-tunnels-test-psk-" + name)));
    }

    @Test
    void identityLookupFindsTheFirstTunnelWithThePeerAndAskedForLocalIdentity() throws Exception {
        List<TunnelRuntime> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            all.add(tunnelWithIds("t" + i, "gw.test", "c" + i + ".peer.test"));
        }
        all.add(tunnelWithIds("second-local", "other-gw.test", "c7.peer.test"));
        all.add(tunnelWithIds("dn", "gw.test", "C=CH, O=Example, CN=peer"));
        CandidateList list = CandidateList.of(all);
        dev.strait.gateway.ike.auth.Identity c7 = dev.strait.gateway.ike.auth.Identity.parse("C7.Peer.TEST");
        assertEquals("t7", CandidateTunnels.byIdentity(list, c7, null).orElseThrow().name());
        assertEquals("second-local", CandidateTunnels.byIdentity(list, c7,
                dev.strait.gateway.ike.auth.Identity.parse("other-gw.test")).orElseThrow().name());
        assertEquals("dn", CandidateTunnels.byIdentity(list, dev.strait.gateway.ike.auth.Identity.parse("C=CH,O=Example,CN=peer"),
                null).orElseThrow().name());
        assertEquals(Optional.empty(), CandidateTunnels.byIdentity(list, dev.strait.gateway.ike.auth.Identity.parse("c7.peer.test"),
                dev.strait.gateway.ike.auth.Identity.parse("nobody.test")));
        assertEquals(Optional.empty(), CandidateTunnels.byIdentity(list, dev.strait.gateway.ike.auth.Identity.parse("c999.peer.test"), null));
        // a plain (filtered) list gives the same answers by scanning
        List<TunnelRuntime> plain = List.copyOf(all);
        assertEquals("second-local", CandidateTunnels.byIdentity(plain, c7,
                dev.strait.gateway.ike.auth.Identity.parse("other-gw.test")).orElseThrow().name());
    }
}
