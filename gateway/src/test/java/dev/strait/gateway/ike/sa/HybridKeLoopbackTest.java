package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.testing.PskTunnels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Post-quantum hybrid IKE SAs between two engines on a {@link MemoryNetwork}: x25519 in IKE_SA_INIT, ML-KEM in IKE_INTERMEDIATE
 * (RFC 9242 / RFC 9370), the IntAuth chain in AUTH, and the fallback rules.
 */
class HybridKeLoopbackTest extends TwoEngineLoopback {
    private static final String PSK = "hybrid-loopback-psk-0123456789";

    private static TunnelConfig tunnel(boolean initiator, String... ike) {
        TunnelConfig t = PskTunnels.tunnel("t", initiator ? "127.0.0.2" : "127.0.0.1", initiator ? "a.test" : "b.test",
                initiator ? "b.test" : "a.test", initiator ? "10.10.0.0/24" : "10.20.0.0/24",
                initiator ? "10.20.0.0/24" : "10.10.0.0/24", ike[0], "aes256gcm16",
                initiator ? TunnelSpec.Initiation.Start : TunnelSpec.Initiation.Passive, PSK);
        t.ike.proposals = List.of(ike);
        return t;
    }

    private void pair(String[] initiatorIke, String[] responderIke) throws Exception {
        a = engines.start("127.0.0.1");
        b = engines.start("127.0.0.2");
        b.engine.apply(List.of(TunnelDefinition.from(tunnel(false, responderIke))));
        a.engine.apply(List.of(TunnelDefinition.from(tunnel(true, initiatorIke))));
    }

    /** x25519 plus ML-KEM-768, and with a second additional exchange (ML-KEM-1024) whose key chains on the first. */
    @ParameterizedTest
    @ValueSource(strings = {"aes256gcm16-prfsha384-x25519-ke1_mlkem768",
            "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke2_mlkem1024"})
    void hybridProposalsEstablishWithMirroredKeys(String hybrid) throws Exception {
        pair(new String[] {hybrid}, new String[] {hybrid});
        EngineLoopbackTest.await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1,
                "Child SAs on both sides, failures " + a.failures + " / " + b.failures);
        assertEquals(hybrid, a.engine.snapshot().getFirst().ike().proposal());
        assertEquals(hybrid, b.engine.snapshot().getFirst().ike().proposal());
        ChildSaSpec sa = a.datapath.installed.values().iterator().next();
        ChildSaSpec sb = b.datapath.installed.values().iterator().next();
        assertArrayEquals(sa.outboundEncKey(), sb.inboundEncKey());
        assertArrayEquals(sa.inboundEncKey(), sb.outboundEncKey());
        // The IKE SA keeps working under the updated keys: a liveness check is answered.
        awaitLivenessAnswer(a.engine.currentSa("t"), "DPD answered under the post-ML-KEM keys");
    }

    @Test
    void classicalResponderIsUsedOnlyThroughAClassicalFallbackProposal() throws Exception {
        pair(new String[] {"aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519"},
                new String[] {"aes256gcm16-prfsha384-x25519"});
        EngineLoopbackTest.await(() -> a.datapath.installed.size() == 1, "fallback to the classical proposal");
        assertEquals("aes256gcm16-prfsha384-x25519", a.engine.snapshot().getFirst().ike().proposal());
    }

    @Test
    void hybridOnlyInitiatorRefusesAClassicalResponder() throws Exception {
        pair(new String[] {"aes256gcm16-prfsha384-x25519-ke1_mlkem768"}, new String[] {"aes256gcm16-prfsha384-x25519"});
        EngineLoopbackTest.await(() -> "no_proposal".equals(a.failures.get("t")), "no proposal, got " + a.failures);
        assertTrue(a.datapath.installed.isEmpty());
        assertTrue(b.datapath.installed.isEmpty());
    }

    @Test
    void childSaRekeyRunsIkeFollowupKeWithMlKem() throws Exception {
        String esp = HYBRID_ESP;
        hybridChildPair();
        for (Side initiator : List.of(a, b)) {
            int before = a.datapath.events.size();
            IkeSa sa = initiator.engine.currentSa("t");
            int spi = sa.children().getFirst().inboundSpi();
            sa.execute(() -> sa.rekeyChild(spi, null));
            EngineLoopbackTest.await(() -> a.datapath.events.size() >= before + 2 && a.datapath.installed.size() == 1
                    && b.datapath.installed.size() == 1, "rekeyed Child SA (CREATE_CHILD_SA + IKE_FOLLOWUP_KE), events " + a.datapath.events);
            ChildSaSpec sa1 = a.datapath.installed.values().iterator().next();
            ChildSaSpec sb1 = b.datapath.installed.values().iterator().next();
            assertEquals(sa1.inboundSpi(), sb1.outboundSpi());
            assertArrayEquals(sa1.outboundEncKey(), sb1.inboundEncKey(), "both sides derived KEYMAT from x25519 + ML-KEM");
            assertArrayEquals(sa1.inboundEncKey(), sb1.outboundEncKey());
            assertEquals(esp, a.engine.snapshot().getFirst().children().getFirst().proposal());
        }
    }

    private static final String HYBRID_ESP = "aes256gcm16-x25519-ke1_mlkem768";

    /** A hybrid IKE SA whose Child SA is hybrid too (ML-KEM in IKE_FOLLOWUP_KE on every Child SA rekey). */
    private void hybridChildPair() throws Exception {
        String ike = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
        a = engines.start("127.0.0.1");
        b = engines.start("127.0.0.2");
        TunnelConfig tb = tunnel(false, ike);
        tb.esp.proposals = List.of(HYBRID_ESP);
        TunnelConfig ta = tunnel(true, ike);
        ta.esp.proposals = List.of(HYBRID_ESP);
        b.engine.apply(List.of(TunnelDefinition.from(tb)));
        a.engine.apply(List.of(TunnelDefinition.from(ta)));
        EngineLoopbackTest.await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1, "first Child SA");
    }

    private static void awaitLivenessAnswer(IkeSa sa, String what) throws InterruptedException {
        long before = sa.lastInbound();
        sa.execute(sa::sendLivenessCheck);
        EngineLoopbackTest.await(() -> sa.lastInbound() != before, what);
    }

    private static final String HYBRID = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";

    private void establishedHybridPair() throws Exception {
        pair(new String[] {HYBRID}, new String[] {HYBRID});
        EngineLoopbackTest.await(() -> oneSharedIkeSa(a, b, 0), "first IKE SA and Child SA");
    }

    /** One IKE SA per side, the same one, carrying the one Child SA. */
    private static boolean oneSharedIkeSa(Side a, Side b, long notSpi) {
        IkeSa sa = a.engine.currentSa("t");
        IkeSa sb = b.engine.currentSa("t");
        return sa != null && sb != null && sa.localSpi() != notSpi && sa.spiI() == sb.spiI() && sa.spiR() == sb.spiR()
                && a.engine.saCounts().equals(Map.of("ESTABLISHED", 1)) && b.engine.saCounts().equals(Map.of("ESTABLISHED", 1))
                && a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1;
    }

    @Test
    void ikeSaRekeyRunsIkeFollowupKeWithMlKem() throws Exception {
        establishedHybridPair();
        int child = a.datapath.installed.keySet().iterator().next();
        for (Side initiator : List.of(a, b)) {
            long old = a.engine.currentSa("t").localSpi();
            IkeSa sa = initiator.engine.currentSa("t");
            sa.execute(() -> sa.rekeyIke(null));
            EngineLoopbackTest.await(() -> oneSharedIkeSa(a, b, old), "IKE SA rekeyed (CREATE_CHILD_SA + IKE_FOLLOWUP_KE), old one gone");
            IkeSa na = a.engine.currentSa("t");
            assertEquals(List.of(dev.strait.gateway.ike.crypto.Algorithms.Group.ML_KEM_768), na.ikeChoice().additionalKes(),
                    "the rekeyed IKE SA ran ML-KEM again");
            assertEquals(HYBRID, a.engine.snapshot().getFirst().ike().proposal());
            assertEquals(child, a.datapath.installed.keySet().iterator().next(), "the Child SA moved over untouched");
            // Both sides derived the same keys from SK_d, x25519 and ML-KEM: the new IKE SA carries a liveness check.
            awaitLivenessAnswer(na, "DPD answered under the rekeyed keys");
        }
    }

    /**
     * RFC 9370 section 2.2.4 for the IKE SA: both sides rekey it at once with ML-KEM. The collision is settled right
     * after the two CREATE_CHILD_SA exchanges: only the winner sends IKE_FOLLOWUP_KE, and one IKE SA is left.
     */
    @Test
    void simultaneousHybridIkeRekeysEndWithOneIkeSa() throws Exception {
        establishedHybridPair();
        long old = a.engine.currentSa("t").localSpi();
        IkeSa sa = a.engine.currentSa("t");
        IkeSa sb = b.engine.currentSa("t");
        int wireBefore = engines.network.wire().size();
        MemoryEngines.atOnce(sa, () -> sa.rekeyIke(null), sb, () -> sb.rekeyIke(null));
        EngineLoopbackTest.await(() -> oneSharedIkeSa(a, b, old), "one rekeyed IKE SA, got " + a.engine.saCounts() + " / "
                + b.engine.saCounts());
        engines.elapse(java.time.Duration.ofSeconds(15)); // past the loser's safety delete: the winner stays
        assertTrue(oneSharedIkeSa(a, b, old), "still one IKE SA: " + a.engine.saCounts() + " / " + b.engine.saCounts());
        assertEquals(1, a.engine.currentSa("t").ikeChoice().additionalKes().size());
        assertEquals(1, a.count("collision-ike"));
        assertEquals(1, b.count("collision-ike"));
        List<MemoryNetwork.Datagram> wire = engines.network.wire().subList(wireBefore, engines.network.wire().size());
        int creates = MemoryNetwork.requests(wire, dev.strait.gateway.ike.message.ExchangeType.CREATE_CHILD_SA).size();
        List<MemoryNetwork.Datagram> followups = MemoryNetwork.requests(wire, dev.strait.gateway.ike.message.ExchangeType.IKE_FOLLOWUP_KE);
        assertEquals(2, creates, "one CREATE_CHILD_SA from each side, no retry: " + wire);
        assertEquals(1, followups.size(), "only the winner's IKE_FOLLOWUP_KE: " + wire);
    }

    /**
     * RFC 9370 section 2.2.4: both sides rekey the hybrid Child SA at once. The collision is settled right after the two
     * CREATE_CHILD_SA exchanges: the loser sends no IKE_FOLLOWUP_KE at all, the winner sends one, and one Child SA pair
     * is left.
     */
    @Test
    void simultaneousHybridChildRekeysAreSettledAfterCreateChildSa() throws Exception {
        hybridChildPair();
        int oldA = a.datapath.installed.keySet().iterator().next();
        int oldB = b.datapath.installed.keySet().iterator().next();
        IkeSa sa = a.engine.currentSa("t");
        IkeSa sb = b.engine.currentSa("t");
        int wireBefore = engines.network.wire().size();
        MemoryEngines.atOnce(sa, () -> sa.rekeyChild(oldA, null), sb, () -> sb.rekeyChild(oldB, null));
        EngineLoopbackTest.await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1
                && !a.datapath.installed.containsKey(oldA) && !b.datapath.installed.containsKey(oldB)
                && a.count("childRekey") == 1 && b.count("childRekey") == 1, "one rekeyed Child SA pair, events "
                + a.datapath.events + " / " + b.datapath.events);
        engines.elapse(java.time.Duration.ofSeconds(5)); // nothing retried or left behind
        ChildSaSpec na = a.datapath.installed.values().iterator().next();
        ChildSaSpec nb = b.datapath.installed.values().iterator().next();
        assertEquals(na.inboundSpi(), nb.outboundSpi());
        assertArrayEquals(na.outboundEncKey(), nb.inboundEncKey());
        assertEquals(1, a.count("collision-child"));
        assertEquals(1, b.count("collision-child"));

        List<MemoryNetwork.Datagram> wire = engines.network.wire().subList(wireBefore, engines.network.wire().size());
        List<MemoryNetwork.Datagram> creates = MemoryNetwork.requests(wire, dev.strait.gateway.ike.message.ExchangeType.CREATE_CHILD_SA);
        List<MemoryNetwork.Datagram> followups = MemoryNetwork.requests(wire, dev.strait.gateway.ike.message.ExchangeType.IKE_FOLLOWUP_KE);
        assertEquals(2, creates.size(), "one CREATE_CHILD_SA from each side: " + wire);
        assertTrue(!creates.get(0).from().equals(creates.get(1).from()), "from each side: " + wire);
        assertEquals(1, followups.size(), "only the winner's one IKE_FOLLOWUP_KE (ke1), the loser stopped: " + wire);
        String winner = followups.getFirst().from();
        int createIndex = wire.indexOf(creates.stream().filter(d -> d.from().equals(winner)).findFirst().orElseThrow());
        assertTrue(wire.indexOf(followups.getFirst()) > createIndex, "IKE_FOLLOWUP_KE after its CREATE_CHILD_SA: " + wire);
        // then the winner deletes the old Child SA: one INFORMATIONAL request, from the winner
        List<MemoryNetwork.Datagram> deletes = MemoryNetwork.requests(wire, dev.strait.gateway.ike.message.ExchangeType.INFORMATIONAL);
        assertEquals(1, deletes.size(), "one DELETE: " + wire);
        assertEquals(winner, deletes.getFirst().from());
        assertTrue(wire.stream().allMatch(MemoryNetwork.Datagram::delivered));
    }

}
