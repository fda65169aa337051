package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Post-quantum hybrid key exchange (RFC 9370 over RFC 9242 IKE_INTERMEDIATE) between two Java gateways in network
 * namespaces, and the classical fallback towards strongSwan 5.9, which has no ML-KEM.
 */
@Timeout(90)
class HybridKeIT extends OnTwoSites {
    private static final String PSK = "hybrid-e2e-psk-not-secret";
    private static final String HYBRID = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
    private static final String CLASSICAL = "aes256gcm16-prfsha384-x25519";

    private static GatewayConfig ikeOnly(GatewayConfig c, TunnelSpec.Initiation initiation, String... proposals) {
        c.datapath.mode = "None";
        TunnelConfig t = c.tunnels.getFirst();
        t.ike.proposals = List.of(proposals);
        t.initiation = initiation;
        return c;
    }

    /** Our IKE-only initiator at site A, offering {@code proposals}. */
    private GatewayProcess initiatorA(String... proposals) {
        return gatewayA(ikeOnly(GatewayConfigs.siteAToB(s, "to-b", PSK), TunnelSpec.Initiation.Start, proposals));
    }

    /** strongSwan 5.9 (no ML-KEM) as responder at site B, offering only the classical proposal. */
    private StrongSwan classicalStrongSwan() {
        return SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).ikeProposals(CLASSICAL)
                .espProposals("aes256gcm16").build());
    }

    @Test
    void javaToJavaX25519PlusMlKem768() throws Exception {
        GatewayProcess b = SITES.gateway(s.nsB(), s.transitB())
                .start(ikeOnly(GatewayConfigs.siteBToA(s, "to-a", PSK), TunnelSpec.Initiation.Passive, HYBRID))
                .awaitReady(Duration.ofSeconds(30));
        try {
            GatewayProcess a = initiatorA(HYBRID);
            JsonNode ta = CertAuthIT.await(() -> established(a), "A established");
            JsonNode tb = CertAuthIT.await(() -> established(b), "B established");
            assertEquals(HYBRID, ta.path("ike").path("proposal").asText());
            assertEquals(HYBRID, tb.path("ike").path("proposal").asText());
            assertEquals(ta.path("children").path(0).path("spiIn").asText(), tb.path("children").path(0).path("spiOut").asText());
            assertTrue(Files.readString(a.logFile()).contains("ke1_mlkem768"), "the log names the hybrid proposal");
        } finally {
            b.stop();
        }
    }

    @Test
    void childSaRekeyWithMlKemViaIkeFollowupKe() throws Exception {
        String esp = "aes256gcm16-x25519-ke1_mlkem768";
        GatewayConfig cb = ikeOnly(GatewayConfigs.siteBToA(s, "to-a", PSK), TunnelSpec.Initiation.Passive, HYBRID);
        cb.tunnels.getFirst().esp.proposals = List.of(esp);
        GatewayConfig ca = ikeOnly(GatewayConfigs.siteAToB(s, "to-b", PSK), TunnelSpec.Initiation.Start, HYBRID);
        ca.tunnels.getFirst().esp.proposals = List.of(esp);
        ca.tunnels.getFirst().esp.rekeyAfter = "12s"; // we rekey the Child SA: CREATE_CHILD_SA + IKE_FOLLOWUP_KE
        GatewayProcess b = SITES.gateway(s.nsB(), s.transitB()).start(cb).awaitReady(Duration.ofSeconds(30));
        try {
            GatewayProcess a = gatewayA(ca);
            JsonNode first = CertAuthIT.await(() -> established(a), "A established");
            String spi = first.path("children").path(0).path("spiIn").asText();
            JsonNode rekeyed = CertAuthIT.await(() -> {
                JsonNode t = established(a);
                return t != null && t.path("children").size() == 1 && !spi.equals(t.path("children").path(0).path("spiIn").asText())
                        ? t : null;
            }, "the Child SA rekeyed");
            assertEquals(esp, rekeyed.path("children").path(0).path("proposal").asText());
            JsonNode tb = CertAuthIT.await(() -> {
                JsonNode t = established(b);
                return t != null && t.path("children").size() == 1
                        && t.path("children").path(0).path("spiOut").asText().equals(rekeyed.path("children").path(0).path("spiIn").asText())
                        ? t : null;
            }, "B carries the rekeyed Child SA");
            assertEquals(esp, tb.path("children").path(0).path("proposal").asText());
            assertTrue(Files.readString(a.logFile()).contains("rekeying Child SA"), "our side started the rekey");
        } finally {
            b.stop();
        }
    }

    @Test
    void hybridInitiatorWithClassicalFallbackConnectsToStrongSwan59() throws Exception {
        StrongSwan swan = classicalStrongSwan();
        GatewayProcess gw = initiatorA(HYBRID, CLASSICAL);
        IkeSa sa = CertAuthIT.await(() -> swan.listSas().stream().filter(IkeSa::established).findFirst().orElse(null),
                "strongSwan established the classical IKE SA");
        assertEquals("AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519", sa.proposal());
        JsonNode t = CertAuthIT.await(() -> established(gw), "our side established");
        assertEquals(CLASSICAL, t.path("ike").path("proposal").asText());
    }

    @Test
    void hybridOnlyInitiatorDoesNotFallBack() throws Exception {
        StrongSwan swan = classicalStrongSwan();
        GatewayProcess gw = initiatorA(HYBRID);
        JsonNode t = CertAuthIT.await(() -> {
            JsonNode x = gw.status().path("tunnels").path(0);
            return x.path("lastErrorReason").asText().isEmpty() ? null : x;
        }, "a refusal");
        assertEquals("no_proposal", t.path("lastErrorReason").asText(), t.toString());
        assertTrue(swan.listSas().stream().noneMatch(IkeSa::established), "no classical SA sneaked in");
    }

    private static JsonNode established(GatewayProcess gw) {
        JsonNode t = gw.status().path("tunnels").path(0);
        return "Established".equals(t.path("phase").asText()) ? t : null;
    }
}
