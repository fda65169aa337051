package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.ChildSa;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Dead peer detection and recovery against strongSwan: a peer that vanishes (SIGKILL, no DELETE) is noticed within
 * dpd.interval + dpd.timeout and reported in /status; when it comes back the tunnel carries traffic within 10 s.
 * A gateway that crashes and restarts is accepted at once by strongSwan thanks to INITIAL_CONTACT.
 */
@Timeout(120)
class LifecycleLivenessIT extends OnTwoSites {
    private static final String PSK = "lifecycle-liveness-psk-not-secret";
    private static final String IKE = "aes256gcm16-prfsha384-ecp384";

    private GatewayConfig config() {
        GatewayConfig c = GatewayConfigs.userspaceSiteAToB(s, PSK, IKE, TunnelSpec.Initiation.Start);
        TunnelConfig t = c.tunnels.getFirst();
        t.ike.dpd.interval = "2s";
        t.ike.dpd.timeout = "6s";
        return c;
    }

    private StrongSwan strongSwan() {
        return SITES.strongSwan(s.nsB()).start(conf());
    }

    private SwanctlConf conf() {
        return SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).ikeProposals(IKE).espProposals("aes256gcm16").build();
    }

    private void trafficFlows() {
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic through the tunnel");
    }

    /** Seconds until a ping gets through, polling twice a second. */
    private double secondsUntilTraffic(Duration limit) {
        long start = System.nanoTime();
        while (System.nanoTime() - start < limit.toNanos()) {
            if (s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1) {
                return (System.nanoTime() - start) / 1e9;
            }
        }
        throw new AssertionError("no traffic within " + limit);
    }

    @Test
    void vanishedPeerIsNoticedAndTheTunnelComesBackWhenItReturns() throws Exception {
        StrongSwan swan = strongSwan();
        GatewayProcess gw = SITES.gateway(s.nsA(), s.transitA()).start(config()).awaitReady(Duration.ofSeconds(30));
        trafficFlows();
        swan.kill();
        long killed = System.nanoTime();
        JsonNode t = await(() -> {
            JsonNode x = gw.status().path("tunnels").path(0);
            return "peer_dead".equals(x.path("lastErrorReason").asText()) ? x : null;
        }, "our side reports the dead peer");
        double noticed = (System.nanoTime() - killed) / 1e9;
        assertTrue(noticed <= 2 + 6 + 2, "noticed after " + noticed + " s (interval 2 s + timeout 6 s)");
        assertTrue(List.of("Connecting", "Failed").contains(t.path("phase").asText()), t.toString());
        assertTrue(t.path("lastError").asText().contains("stopped answering"), t.toString());
        assertTrue(gw.metrics().contains("strait_dpd_timeouts_total{gateway=\"standalone\",tunnel=\"to-b\"} 1.0"));

        swan.start(conf());
        double back = secondsUntilTraffic(Duration.ofSeconds(15));
        assertTrue(back <= 10, "traffic again after " + back + " s");
        assertEquals("Established", gw.status().path("tunnels").path(0).path("phase").asText());
    }

    @Test
    void restartedGatewayReplacesTheStaleSaThroughInitialContact() throws Exception {
        StrongSwan swan = strongSwan();
        GatewayProcess gw = SITES.gateway(s.nsA(), s.transitA()).start(config()).awaitReady(Duration.ofSeconds(30));
        trafficFlows();
        String stale = swan.listSas().getFirst().initiatorSpi();
        gw.kill();
        GatewayProcess again = SITES.gateway(s.nsA(), s.transitA()).start(config()).awaitReady(Duration.ofSeconds(30));
        double back = secondsUntilTraffic(Duration.ofSeconds(15));
        assertTrue(back <= 10, "traffic again after " + back + " s");
        List<IkeSa> sas = await(() -> {
            List<IkeSa> x = swan.listSas();
            return x.size() == 1 ? x : null;
        }, "strongSwan keeps one IKE SA");
        assertTrue(!stale.equals(sas.getFirst().initiatorSpi()), "the stale IKE SA is gone");
        assertTrue(sas.getFirst().children().stream().allMatch(ChildSa::installed));
        assertTrue(java.nio.file.Files.readString(swan.logFile()).contains("INITIAL_CONTACT")
                || java.nio.file.Files.readString(swan.logFile()).contains("N(INIT_CONTACT)"), "strongSwan saw INITIAL_CONTACT");
        again.stop();
    }
}
