package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.SaAgreement;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rekeying against strongSwan with traffic flowing (ping at 10/s through the userspace datapath): Child SA and IKE SA
 * rekeys started by strongSwan (swanctl --rekey) and by us (short rekeyAfter), at most one lost packet per rekey,
 * and afterwards exactly one IKE SA and one Child SA on both sides with matching SPIs.
 */
@Timeout(120)
class LifecycleRekeyIT extends OnTwoSites {
    private static final String PSK = "lifecycle-rekey-psk-not-secret";
    private static final String IKE = "aes256gcm16-prfsha384-ecp384";

    private GatewayProcess gateway(Consumer<TunnelConfig> adjust) {
        GatewayConfig c = GatewayConfigs.userspaceSiteAToB(s, PSK, IKE, TunnelSpec.Initiation.Start);
        TunnelConfig t = c.tunnels.getFirst();
        t.esp.proposals = List.of("aes256gcm16-ecp384"); // PFS on Child rekeys
        adjust.accept(t);
        return gatewayA(c);
    }

    private StrongSwan strongSwan() {
        return SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).ikeProposals(IKE)
                .espProposals("aes256gcm16-ecp384").build());
    }

    private CompletableFuture<Integer> pingInBackground(int count) {
        return CompletableFuture.supplyAsync(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), count, 0.1));
    }

    /** strongSwan, our gateway and the SA before and after strongSwan's rekey. */
    private record Rekey(StrongSwan swan, GatewayProcess gw, IkeSa before, IkeSa after) {
    }

    /** Brings the tunnel up and has strongSwan rekey the IKE SA or the Child SA 2 s into 60 pings at 10/s. */
    private Rekey rekeyByStrongSwan(boolean ike) throws Exception {
        StrongSwan swan = strongSwan();
        GatewayProcess gw = gateway(t -> { });
        IkeSa before = SaAgreement.up(s, swan, gw);
        CompletableFuture<Integer> ping = pingInBackground(60);
        Thread.sleep(2000);
        IkeSa after = SaAgreement.rekeyedByStrongSwan(swan, gw, before, ike, Duration.ofSeconds(20));
        int got = ping.get();
        assertTrue(got >= 59, "at most one lost packet, got " + got + "/60");
        return new Rekey(swan, gw, before, after);
    }

    @Test
    void childRekeyStartedByStrongSwan() throws Exception {
        Rekey r = rekeyByStrongSwan(false);
        GatewayProcess gw = r.gw();
        assertEquals(r.before().initiatorSpi(), r.after().initiatorSpi(), "a Child rekey keeps the IKE SA");
        assertEquals("ECP_384", r.after().children().getFirst().dhGroup(), "PFS on the rekey");
        JsonNode st = gw.status().path("tunnels").path(0);
        long total = st.path("totals").path("packetsOut").asLong();
        long current = st.path("children").path(0).path("packetsOut").asLong();
        assertTrue(total >= 60 && total > current, "the old SA's packets stay in the totals: " + st.path("totals") + " / " + current);
        assertTrue(gw.metrics().contains("strait_child_sa_rekeys_total{gateway=\"standalone\",tunnel=\"to-b\"} 1.0"), gw.metrics());
    }

    @Test
    void ikeRekeyStartedByStrongSwan() throws Exception {
        Rekey r = rekeyByStrongSwan(true);
        assertEquals(r.before().children().getFirst().spiIn(), r.after().children().getFirst().spiIn(), "the Child SA moved along");
        assertTrue(r.after().initiator(), "strongSwan started the rekey, so it is the new IKE SA's initiator");
        // The new IKE SA works: a Child rekey over it.
        SaAgreement.rekeyedByStrongSwan(r.swan(), r.gw(), r.after(), false, Duration.ofSeconds(20));
        assertEquals(1, s.ping(s.nsA(), s.lanA(), s.lanB(), 1));
    }

    @Test
    void childAndIkeRekeysStartedByUs() throws Exception {
        StrongSwan swan = strongSwan();
        GatewayProcess gw = gateway(t -> {
            t.esp.rekeyAfter = "10s";
            t.ike.rekeyAfter = "20s";
        });
        IkeSa before = SaAgreement.up(s, swan, gw);
        CompletableFuture<Integer> ping = pingInBackground(220);
        IkeSa afterChild = SaAgreement.childRekeyed(swan, gw, before);
        assertEquals(before.initiatorSpi(), afterChild.initiatorSpi());
        IkeSa afterIke = SaAgreement.ikeRekeyed(swan, gw, before);
        assertTrue(!afterIke.initiator(), "we started the IKE rekey, so strongSwan is the responder of the new SA");
        int got = ping.get();
        assertTrue(got >= 218, "at most one lost packet per rekey, got " + got + "/220");
        String metrics = gw.metrics();
        assertTrue(metrics.contains("strait_ike_sa_rekeys_total{gateway=\"standalone\",tunnel=\"to-b\"}"), metrics);
        assertNotEquals(before.responderSpi(), afterIke.responderSpi());
    }

    @Test
    void childRekeyByVolumeStartedByUs() throws Exception {
        StrongSwan swan = strongSwan();
        GatewayProcess gw = gateway(t -> t.esp.rekeyBytes = 300_000L); // time lifetime stays 1h: only bytes count
        IkeSa before = SaAgreement.up(s, swan, gw);
        // 600 pings of 1000 bytes in 6 s: about 620 kB each way, past the 270-300 kB soft limit at least once
        ExecResult r = s.exec(s.nsA(), Duration.ofSeconds(30), "ping", "-n", "-q", "-c", "600", "-i", "0.01", "-s", "1000",
                "-W", "1", "-I", s.lanA(), s.lanB());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) (?:packets )?received").matcher(r.stdout());
        assertTrue(m.find(), r.describe());
        int got = Integer.parseInt(m.group(1));
        IkeSa after = SaAgreement.childRekeyed(swan, gw, before);
        assertEquals(before.initiatorSpi(), after.initiatorSpi(), "a Child rekey keeps the IKE SA");
        String metrics = gw.metrics();
        java.util.regex.Matcher rekeys = java.util.regex.Pattern.compile(
                "strait_child_sa_rekeys_total\\{gateway=\"standalone\",tunnel=\"to-b\"} ([0-9.]+)").matcher(metrics);
        assertTrue(rekeys.find(), metrics);
        int n = (int) Double.parseDouble(rekeys.group(1));
        assertTrue(n >= 1 && n <= 3, "one to three rekeys for ~620 kB at a 300 kB limit, got " + n);
        assertTrue(got >= 600 - n, "at most one lost packet per rekey, got " + got + "/600 with " + n + " rekeys");
        JsonNode child = gw.status().path("tunnels").path(0).path("children").path(0);
        assertTrue(child.path("bytesOut").asLong() < 330_000 && child.path("bytesIn").asLong() < 330_000,
                "the current Child SA stays under the hard limit: " + child);
    }
}
