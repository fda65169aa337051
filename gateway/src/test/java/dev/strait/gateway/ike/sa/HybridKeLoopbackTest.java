package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.sa.LoopbackEngines.Side;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Post-quantum hybrid IKE SAs between two engines on loopback: x25519 in IKE_SA_INIT, ML-KEM in IKE_INTERMEDIATE
 * (RFC 9242 / RFC 9370), the IntAuth chain in AUTH, and the fallback rules. Needs root (port 500).
 */
class HybridKeLoopbackTest {
    private static final String PSK = "hybrid-loopback-psk-0123456789";
    private final LoopbackEngines engines = new LoopbackEngines();

    @AfterEach
    void close() {
        engines.close();
    }

    private Side start(String ip) throws Exception {
        return engines.start(ip);
    }

    private static TunnelConfig tunnel(boolean initiator, String... ike) {
        TunnelConfig t = EngineLoopbackTest.tunnel("t", initiator ? "127.0.0.2" : "127.0.0.1", initiator ? "a.test" : "b.test",
                initiator ? "b.test" : "a.test", initiator ? "10.10.0.0/24" : "10.20.0.0/24",
                initiator ? "10.20.0.0/24" : "10.10.0.0/24", ike[0], "aes256gcm16",
                initiator ? TunnelSpec.Initiation.Start : TunnelSpec.Initiation.Passive, PSK);
        t.ike.proposals = List.of(ike);
        return t;
    }

    private Side[] pair(String[] initiatorIke, String[] responderIke) throws Exception {
        Side a = start("127.0.0.1");
        Side b = start("127.0.0.2");
        b.engine.apply(List.of(TunnelDefinition.from(tunnel(false, responderIke))));
        a.engine.apply(List.of(TunnelDefinition.from(tunnel(true, initiatorIke))));
        return new Side[] {a, b};
    }

    @Test
    void x25519PlusMlKem768EstablishesWithMirroredKeys() throws Exception {
        String hybrid = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
        Side[] p = pair(new String[] {hybrid}, new String[] {hybrid});
        Side a = p[0];
        Side b = p[1];
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
    void twoAdditionalExchangesChainTheirKeys() throws Exception {
        String two = "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke2_mlkem1024";
        Side[] p = pair(new String[] {two}, new String[] {two});
        EngineLoopbackTest.await(() -> p[0].datapath.installed.size() == 1 && p[1].datapath.installed.size() == 1,
                "Child SAs with two IKE_INTERMEDIATE exchanges, failures " + p[0].failures + " / " + p[1].failures);
        assertEquals(two, p[0].engine.snapshot().getFirst().ike().proposal());
    }

    @Test
    void classicalResponderIsUsedOnlyThroughAClassicalFallbackProposal() throws Exception {
        Side[] p = pair(new String[] {"aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519"},
                new String[] {"aes256gcm16-prfsha384-x25519"});
        EngineLoopbackTest.await(() -> p[0].datapath.installed.size() == 1, "fallback to the classical proposal");
        assertEquals("aes256gcm16-prfsha384-x25519", p[0].engine.snapshot().getFirst().ike().proposal());
    }

    @Test
    void hybridOnlyInitiatorRefusesAClassicalResponder() throws Exception {
        Side[] p = pair(new String[] {"aes256gcm16-prfsha384-x25519-ke1_mlkem768"}, new String[] {"aes256gcm16-prfsha384-x25519"});
        EngineLoopbackTest.await(() -> "no_proposal".equals(p[0].failures.get("t")), "no proposal, got " + p[0].failures);
        assertTrue(p[0].datapath.installed.isEmpty());
        assertTrue(p[1].datapath.installed.isEmpty());
    }

    @Test
    void childSaRekeyRunsIkeFollowupKeWithMlKem() throws Exception {
        String ike = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
        Side a = start("127.0.0.1");
        Side b = start("127.0.0.2");
        String esp = "aes256gcm16-x25519-ke1_mlkem768";
        TunnelConfig tb = tunnel(false, ike);
        tb.esp.proposals = List.of(esp);
        TunnelConfig ta = tunnel(true, ike);
        ta.esp.proposals = List.of(esp);
        b.engine.apply(List.of(TunnelDefinition.from(tb)));
        a.engine.apply(List.of(TunnelDefinition.from(ta)));
        EngineLoopbackTest.await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1, "first Child SA");
        for (Side initiator : List.of(a, b)) {
            int before = a.datapath.events.size();
            IkeSa sa = initiator.engine.currentSa("t");
            int spi = sa.children.getFirst().inboundSpi();
            sa.executor.execute(() -> sa.rekeyChild(spi, null));
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

    private static void awaitLivenessAnswer(IkeSa sa, String what) throws InterruptedException {
        long before = sa.lastInbound();
        sa.executor.execute(sa::sendLivenessCheck);
        EngineLoopbackTest.await(() -> sa.lastInbound() != before, what);
    }

    private static final String HYBRID = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";

    private Side[] establishedHybridPair() throws Exception {
        Side[] p = pair(new String[] {HYBRID}, new String[] {HYBRID});
        EngineLoopbackTest.await(() -> oneSharedIkeSa(p[0], p[1], 0), "first IKE SA and Child SA");
        return p;
    }

    /** One IKE SA per side, the same one, carrying the one Child SA. */
    private static boolean oneSharedIkeSa(Side a, Side b, long notSpi) {
        IkeSa sa = a.engine.currentSa("t");
        IkeSa sb = b.engine.currentSa("t");
        return sa != null && sb != null && sa.localSpi != notSpi && sa.spiI == sb.spiI && sa.spiR == sb.spiR
                && a.engine.saCounts().equals(Map.of("ESTABLISHED", 1)) && b.engine.saCounts().equals(Map.of("ESTABLISHED", 1))
                && a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1;
    }

    @Test
    void ikeSaRekeyRunsIkeFollowupKeWithMlKem() throws Exception {
        Side[] p = establishedHybridPair();
        Side a = p[0];
        Side b = p[1];
        int child = a.datapath.installed.keySet().iterator().next();
        for (Side initiator : List.of(a, b)) {
            long old = a.engine.currentSa("t").localSpi;
            IkeSa sa = initiator.engine.currentSa("t");
            sa.executor.execute(() -> sa.rekeyIke(null));
            EngineLoopbackTest.await(() -> oneSharedIkeSa(a, b, old), "IKE SA rekeyed (CREATE_CHILD_SA + IKE_FOLLOWUP_KE), old one gone");
            IkeSa na = a.engine.currentSa("t");
            assertEquals(List.of(dev.strait.gateway.ike.crypto.Algorithms.Group.ML_KEM_768), na.ikeChoice.additionalKes(),
                    "the rekeyed IKE SA ran ML-KEM again");
            assertEquals(HYBRID, a.engine.snapshot().getFirst().ike().proposal());
            assertEquals(child, a.datapath.installed.keySet().iterator().next(), "the Child SA moved over untouched");
            // Both sides derived the same keys from SK_d, x25519 and ML-KEM: the new IKE SA carries a liveness check.
            awaitLivenessAnswer(na, "DPD answered under the rekeyed keys");
        }
    }

    @Test
    void simultaneousHybridIkeRekeysEndWithOneIkeSa() throws Exception {
        Side[] p = establishedHybridPair();
        Side a = p[0];
        Side b = p[1];
        long old = a.engine.currentSa("t").localSpi;
        IkeSa sa = a.engine.currentSa("t");
        IkeSa sb = b.engine.currentSa("t");
        // Each side refuses the other's request with TEMPORARY_FAILURE while its own chain runs; the random retry
        // delay (1-3 s) lets one of them through.
        sa.executor.execute(() -> sa.rekeyIke(null));
        sb.executor.execute(() -> sb.rekeyIke(null));
        EngineLoopbackTest.await(() -> oneSharedIkeSa(a, b, old), "one rekeyed IKE SA, got " + a.engine.saCounts() + " / "
                + b.engine.saCounts());
        assertEquals(1, a.engine.currentSa("t").ikeChoice.additionalKes().size());
    }
}
