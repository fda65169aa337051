package dev.strait.gateway.ike.sa;

import static dev.strait.gateway.ike.sa.EngineLoopbackTest.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.v1alpha1.TunnelSpec.ChildSas;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import dev.strait.gateway.testing.PskTunnels;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Additional Child SAs (RFC 7296 section 1.3.1) between two engines on a {@link MemoryNetwork}. The initiator's tunnel has two remote subnets; the responder either keeps one subnet pair per Child SA
 * (as strongSwan children do) or does not allow one of the subnets at all.
 */
class AdditionalChildLoopbackTest extends TwoEngineLoopback {
    private static final String PSK = "additional-child-loopback-psk-0123";
    private static final String IKE = "aes256gcm16-prfsha384-x25519";
    private static final String A_IP = "127.0.7.1";
    private static final String B_IP = "127.0.7.2";

    private static TunnelConfig initiator(String esp) {
        TunnelConfig t = PskTunnels.tunnel("t", B_IP, "a.test", "b.test", "10.10.0.0/24", "10.20.0.0/24", IKE, esp,
                TunnelSpec.Initiation.Start, PSK);
        t.remote.subnets = List.of("10.20.0.0/24", "10.21.0.0/24");
        return t;
    }

    private static TunnelConfig responder(String esp, String... localSubnets) {
        TunnelConfig t = PskTunnels.tunnel("t", A_IP, "b.test", "a.test", "10.20.0.0/24", "10.10.0.0/24", IKE, esp,
                TunnelSpec.Initiation.Passive, PSK);
        t.local.subnets = List.of(localSubnets);
        return t;
    }

    /** Starts both sides; the responder's tunnel has esp.childSas as given. Returns {initiator, responder}. */
    private void pair(TunnelConfig initiator, TunnelConfig responder, ChildSas responderChildSas) throws Exception {
        a = engines.start(A_IP);
        b = engines.start(B_IP);
        responder.esp.childSas = responderChildSas;
        b.engine.apply(List.of(TunnelDefinition.from(responder)));
        a.engine.apply(List.of(TunnelDefinition.from(initiator)));
    }

    /** "local<->remote" of every installed Child SA, e.g. "[10.10.0.0/24]<->[10.21.0.0/24]". */
    private static Set<String> selectors(Side s) {
        return s.datapath.installed.values().stream().map(c -> c.localSelectors() + "<->" + c.remoteSelectors())
                .collect(Collectors.toSet());
    }

    /** Every installed SA on one side has its mirror image (SPIs and keys) on the other. */
    private static void assertMirrored(Side a, Side b) {
        assertEquals(a.datapath.installed.size(), b.datapath.installed.size());
        for (ChildSaSpec sa : a.datapath.installed.values()) {
            ChildSaSpec sb = b.datapath.installed.get(sa.outboundSpi());
            assertNotNull(sb, "the peer has the SA " + Integer.toHexString(sa.outboundSpi()));
            assertEquals(sa.inboundSpi(), sb.outboundSpi());
            assertArrayEquals(sa.outboundEncKey(), sb.inboundEncKey());
            assertArrayEquals(sa.inboundEncKey(), sb.outboundEncKey());
            assertEquals(sa.localSelectors(), sb.remoteSelectors());
            assertEquals(sa.remoteSelectors(), sb.localSelectors());
        }
    }

    private static final Set<String> BOTH_PAIRS = Set.of("[10.10.0.0/24]<->[10.20.0.0/24]", "[10.10.0.0/24]<->[10.21.0.0/24]");

    /** A created one additional Child SA and both pairs are carried, mirrored on both sides. */
    private static void awaitBothPairs(Side a, Side b, String what) throws InterruptedException {
        await(() -> a.datapath.installed.size() == 2 && b.datapath.installed.size() == 2 && a.additionalChildren("created") == 1,
                what + ", failures " + a.failures + " / " + b.failures);
        assertEquals(BOTH_PAIRS, selectors(a));
        assertMirrored(a, b);
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes256gcm16", "aes256gcm16-x25519", "aes256gcm16-x25519-ke1_mlkem768"})
    void initiatorCreatesAChildSaForThePairTheResponderLeftOut(String esp) throws Exception {
        pair(initiator(esp), responder(esp, "10.20.0.0/24", "10.21.0.0/24"), ChildSas.PerSubnetPair);
        awaitBothPairs(a, b, "two Child SAs on both sides (the listener told after the install)");
        assertEquals(1, a.additionalChildren("created"));
        assertEquals(0, a.additionalChildren("refused"));
        await(() -> "Established".equals(a.engine.snapshot().getFirst().phase()), "initiator Established");
        TunnelSnapshot st = a.engine.snapshot().getFirst();
        assertNull(st.lastError());
        assertEquals(2, st.children().size(), "/status lists every Child SA");
        assertEquals(Set.of("10.20.0.0/24", "10.21.0.0/24"),
                st.children().stream().map(c -> String.join(",", c.remoteSubnets())).collect(Collectors.toSet()));
        assertEquals(a.datapath.installed.keySet(), st.children().stream()
                .map(c -> Integer.parseUnsignedInt(c.spiIn(), 16)).collect(Collectors.toSet()));
        // The responder sees both too (it accepted the additional one).
        assertEquals(2, b.engine.snapshot().getFirst().children().size());
    }

    @Test
    void eachChildSaIsRekeyedOnItsOwnAndBothMoveWithAnIkeRekey() throws Exception {
        pair(initiator("aes256gcm16-x25519"), responder("aes256gcm16-x25519", "10.20.0.0/24", "10.21.0.0/24"),
                ChildSas.PerSubnetPair);
        await(() -> a.datapath.installed.size() == 2 && b.datapath.installed.size() == 2, "two Child SAs");
        IkeSa sa = a.engine.currentSa("t");
        IkeSa.Child additional = sa.children().stream()
                .filter(c -> TrafficSelectors.describe(c.remoteTs()).equals("[10.21.0.0/24]")).findFirst().orElseThrow();
        IkeSa.Child first = sa.children().stream().filter(c -> c != additional).findFirst().orElseThrow();
        sa.execute(() -> sa.rekeyChild(additional.inboundSpi(), null));
        await(() -> !a.datapath.installed.containsKey(additional.inboundSpi()) && a.datapath.installed.size() == 2
                && b.datapath.installed.size() == 2, "the additional Child SA replaced");
        assertTrue(a.datapath.installed.containsKey(first.inboundSpi()), "the other Child SA is untouched");
        assertEquals(BOTH_PAIRS, selectors(a), "the rekeyed SA keeps its own selectors");
        assertMirrored(a, b);

        sa.execute(() -> sa.rekeyIke(null));
        await(() -> a.engine.currentSa("t") != sa && a.engine.currentSa("t").children().size() == 2, "both children moved");
        IkeSa next = a.engine.currentSa("t");
        engines.elapse(Duration.ofSeconds(2)); // the successor must not create duplicates of pairs that are carried
        assertEquals(2, next.children().size());
        assertEquals(2, a.datapath.installed.size());
        assertEquals(1, a.additionalChildren("created"));
        assertEquals(BOTH_PAIRS, selectors(a));
    }

    @Test
    void aPairThePeerRefusesIsReportedTriedOncePerIkeSaAndPickedUpByTheNext() throws Exception {
        pair(initiator("aes256gcm16"), responder("aes256gcm16", "10.20.0.0/24"), ChildSas.Combined);
        await(() -> a.additionalChildren("refused") == 1, "the peer refuses 10.21.0.0/24");
        await(() -> "Degraded".equals(a.engine.snapshot().getFirst().phase()), "initiator Degraded");
        TunnelSnapshot st = a.engine.snapshot().getFirst();
        assertEquals("ts_unacceptable", st.lastErrorReason());
        assertTrue(st.lastError().contains("10.10.0.0/24 <-> 10.21.0.0/24") && st.lastError().contains("TS_UNACCEPTABLE"),
                st.lastError());
        assertEquals(Set.of("[10.10.0.0/24]<->[10.20.0.0/24]"), selectors(a), "the IKE_AUTH Child SA stays up");
        engines.elapse(Duration.ofSeconds(5));
        assertEquals(1, a.additionalChildren("refused"), "not retried on the same IKE SA");

        // The responder now allows the subnet (same fingerprint, so its SAs stay); the next IKE SA tries again.
        TunnelRuntime rb = b.engine.runtime("t");
        rb.replaceDefinition(withLocalSubnets(rb.definition(), List.of(Cidr.parse("10.20.0.0/24"), Cidr.parse("10.21.0.0/24"))));
        IkeSa sa = a.engine.currentSa("t");
        sa.execute(() -> sa.rekeyIke(null));
        await(() -> a.additionalChildren("created") == 1 && a.datapath.installed.size() == 2, "created on the rekeyed IKE SA");
        assertEquals(BOTH_PAIRS, selectors(a));
        assertMirrored(a, b);
        await(() -> "Established".equals(a.engine.snapshot().getFirst().phase()), "Established once every pair is carried");
        assertNull(a.engine.snapshot().getFirst().lastError());
    }

    @Test
    void noAdditionalChildSaWhenTheFirstCarriesEveryPair() throws Exception {
        pair(initiator("aes256gcm16"), responder("aes256gcm16", "10.20.0.0/24", "10.21.0.0/24"),
                ChildSas.Combined);
        await(() -> a.datapath.installed.size() == 1 && "Established".equals(a.engine.snapshot().getFirst().phase()),
                "one Child SA");
        engines.elapse(Duration.ofSeconds(2));
        assertEquals(1, a.datapath.installed.size());
        ChildSaSpec only = a.datapath.installed.values().stream().min(Comparator.comparingInt(ChildSaSpec::inboundSpi)).orElseThrow();
        assertEquals(List.of(Cidr.parse("10.20.0.0/24"), Cidr.parse("10.21.0.0/24")), only.remoteSelectors());
        assertEquals(0, a.additionalChildren("created") + a.additionalChildren("refused"));
    }

    @Test
    void aPerSubnetPairInitiatorProposesOnePairInIkeAuthAndCreatesAChildSaForEachOther() throws Exception {
        TunnelConfig initiator = initiator("aes256gcm16");
        initiator.esp.childSas = ChildSas.PerSubnetPair;
        // The responder would take both pairs in one Child SA: the split is the initiator's own doing.
        pair(initiator, responder("aes256gcm16", "10.20.0.0/24", "10.21.0.0/24"), ChildSas.Combined);
        awaitBothPairs(a, b, "one Child SA per pair");
        engines.elapse(Duration.ofSeconds(2));
        assertEquals(2, a.datapath.installed.size());
        assertEquals(0, a.additionalChildren("refused"));
        await(() -> "Established".equals(a.engine.snapshot().getFirst().phase()), "initiator Established");
    }

    private static TunnelDefinition withLocalSubnets(TunnelDefinition d, List<Cidr> local) {
        return new TunnelDefinition(d.name(), d.peerAddress(), d.peerPort(), d.localId(), d.peerId(), d.psk(), d.certificates(),
                d.ikeProposals(), d.espProposals(), local, d.remoteSubnets(), d.initiation(), d.forceEncapsulation(),
                d.dpdInterval(), d.dpdTimeout(), d.ikeRekeyAfter(), d.childRekeyAfter(), d.childVolume(), d.fragmentation(), d.childless(), d.childSas(), d.namespace(),
                d.generation(), d.fingerprint());
    }
}
