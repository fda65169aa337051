package dev.strait.gateway.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusRendererTest {
    static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");

    static TunnelSnapshot established(String name, long bytesIn) {
        return established(name, bytesIn, 0.0123456);
    }

    static TunnelSnapshot established(String name, long bytesIn, Double rttSeconds) {
        var ike = new TunnelSnapshot.Ike("ESTABLISHED", "initiator", "0011223344556677", "8899aabbccddeeff",
                "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384", "192.0.2.1:500", "192.0.2.2:4500", false, true,
                T0.toString(), rttSeconds);
        var child = new TunnelSnapshot.Child(List.of("10.10.0.0/24"), List.of("10.20.0.0/24"), "AES_GCM_16_256",
                "c0000001", "c0000002", bytesIn, 10, 3, 1, Map.of("replay", 2L), T0.toString());
        return new TunnelSnapshot(name, "gw", 3L, "Established", null, null, null, ike, List.of(child), null);
    }

    static TunnelSnapshot failing(String name) {
        return new TunnelSnapshot(name, "gw", 3L, "Connecting", "AuthenticationFailed",
                "peer answered AUTHENTICATION_FAILED", T0.toString(), null, List.of(), null);
    }

    static TunnelStatus operatorWrote(String configValid, String phase) {
        TunnelStatus s = new TunnelStatus();
        s.phase = phase;
        TunnelStatus.Condition c = new TunnelStatus.Condition();
        c.type = "ConfigValid";
        c.status = configValid;
        c.reason = "True".equals(configValid) ? "Valid" : "PskSecretMissing";
        c.message = "from the operator";
        c.lastTransitionTime = "2024-12-31T00:00:00Z";
        s.conditions = new ArrayList<>(List.of(c));
        return s;
    }

    @Test
    void establishedTunnelIsReadyAndKeepsConfigValid() {
        TunnelStatus s = StatusRenderer.merge(operatorWrote("True", "Pending"), established("t", 100), "pod-1", T0);
        assertEquals("Established", s.phase);
        assertEquals(3L, s.observedGeneration);
        assertEquals("pod-1", s.reportedBy);
        assertEquals(List.of("ConfigValid", "Ready", "IkeEstablished", "ChildEstablished"),
                s.conditions.stream().map(c -> c.type).toList());
        assertEquals("from the operator", s.conditions.getFirst().message);
        assertEquals("2024-12-31T00:00:00Z", s.conditions.getFirst().lastTransitionTime);
        s.conditions.stream().skip(1).forEach(c -> assertEquals("True", c.status, c.type));
        assertEquals("initiator", s.ike.role);
        assertEquals(true, s.ike.udpEncapsulation);
        assertEquals("0011223344556677", s.ike.spiInitiator);
        assertEquals(12.346, s.ike.rttMillis, 1e-9, "milliseconds, to the microsecond");
        assertEquals(100L, s.children.getFirst().bytesIn);
        assertEquals(Map.of("replay", 2L), s.children.getFirst().drops);
        assertNull(s.lastError);
    }

    @Test
    void noRoundTripSampleYetLeavesRttOut() {
        TunnelStatus s = StatusRenderer.merge(operatorWrote("True", "Pending"), established("t", 1, null), "p", T0);
        assertNull(s.ike.rttMillis);
    }

    @Test
    void failureReasonAndMessageReachTheConditions() {
        TunnelStatus s = StatusRenderer.merge(operatorWrote("True", "Pending"), failing("t"), "pod-1", T0);
        assertEquals("Connecting", s.phase);
        assertEquals("peer answered AUTHENTICATION_FAILED", s.lastError);
        for (String type : List.of("Ready", "IkeEstablished", "ChildEstablished")) {
            TunnelStatus.Condition c = StatusRenderer.find(s.conditions, type);
            assertEquals("False", c.status);
            assertEquals("AuthenticationFailed", c.reason);
            assertEquals("peer answered AUTHENTICATION_FAILED", c.message);
        }
        assertNull(s.ike);
        assertTrue(s.children.isEmpty());
    }

    @Test
    void operatorKeepsPhaseWhileConfigIsRefused() {
        TunnelStatus s = StatusRenderer.merge(operatorWrote("False", "Failed"), established("t", 1), "pod-1", T0);
        assertEquals("Failed", s.phase);
        assertEquals("False", StatusRenderer.find(s.conditions, "ConfigValid").status);
    }

    @Test
    void transitionTimeMovesOnlyWhenStatusFlips() {
        TunnelStatus up = StatusRenderer.merge(operatorWrote("True", "Pending"), established("t", 1), "p", T0);
        TunnelStatus stillUp = StatusRenderer.merge(up, established("t", 2, 0.02), "p", T0.plusSeconds(60));
        assertEquals(T0.toString(), StatusRenderer.find(stillUp.conditions, "Ready").lastTransitionTime);
        TunnelStatus down = StatusRenderer.merge(stillUp, failing("t"), "p", T0.plusSeconds(120));
        assertEquals(T0.plusSeconds(120).toString(), StatusRenderer.find(down.conditions, "Ready").lastTransitionTime);
        // counters and a new round-trip sample alone are not a material change
        assertEquals(20.0, stillUp.ike.rttMillis);
        assertTrue(TunnelStatusReporter.sameWithoutCounters(up, stillUp));
        assertTrue(!TunnelStatusReporter.sameWithoutCounters(stillUp, down));
    }
}
