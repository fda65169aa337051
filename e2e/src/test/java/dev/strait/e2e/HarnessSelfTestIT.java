package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.e2e.support.ChildSa;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.Sites;
import dev.strait.e2e.support.SitesExtension;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.e2e.support.SwanctlConf.StartAction;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Proves the harness itself: strongSwan to strongSwan across the two sites, traffic through the tunnel. */
class HarnessSelfTestIT {
    private static final String PSK = "harness-selftest-psk-not-secret";

    @RegisterExtension
    static final SitesExtension SITES = new SitesExtension();

    @Test
    @Timeout(60)
    void strongSwanTunnelCarriesPingBetweenTheLans() {
        Sites s = SITES.sites();
        StrongSwan responder = SITES.strongSwan(s.nsB()).start(SwanctlConf.builder()
                .name("site-b").role(Role.RESPONDER)
                .local(s.transitB(), "site-b.test").remote(null, "site-a.test").psk(PSK)
                .ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16")
                .localTs(s.lanSubnetB()).remoteTs(s.lanSubnetA())
                .build());
        StrongSwan initiator = SITES.strongSwan(s.nsA()).start(SwanctlConf.builder()
                .name("site-a").role(Role.INITIATOR).startAction(StartAction.NONE)
                .local(s.transitA(), "site-a.test").remote(s.transitB(), "site-b.test").psk(PSK)
                .ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16")
                .localTs(s.lanSubnetA()).remoteTs(s.lanSubnetB())
                .build());

        // Without a tunnel the LANs cannot reach each other: ping() really counts replies.
        assertEquals(0, s.ping(s.nsA(), s.lanA(), s.lanB(), 2));

        initiator.initiate("lan-lan");
        assertEquals(5, s.ping(s.nsA(), s.lanA(), s.lanB(), 5));

        IkeSa a = single(initiator.listSas());
        IkeSa b = single(responder.listSas());
        for (IkeSa sa : List.of(a, b)) {
            assertEquals("ESTABLISHED", sa.state(), sa.toString());
            assertEquals("AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384", sa.proposal());
            // kernel-libipsec always fakes NAT detection, so everything runs on 4500 (RFC 3948)
            assertEquals(4500, sa.localPort());
            assertEquals(4500, sa.remotePort());
        }
        assertTrue(a.initiator());
        assertEquals("site-b.test", a.remoteId());
        assertEquals("site-a.test", b.remoteId());
        assertEquals(a.initiatorSpi(), b.initiatorSpi());
        assertEquals(a.responderSpi(), b.responderSpi());

        ChildSa ca = a.child("lan-lan");
        ChildSa cb = b.child("lan-lan");
        for (ChildSa c : List.of(ca, cb)) {
            assertEquals("INSTALLED", c.state(), c.toString());
            assertEquals("AES_GCM_16_256", c.proposal());
            assertEquals("TUNNEL", c.mode());
            assertTrue(c.encap(), "ESP is UDP-encapsulated");
        }
        assertEquals(List.of(s.lanSubnetA()), ca.localTs());
        assertEquals(List.of(s.lanSubnetB()), ca.remoteTs());
        assertEquals(List.of(s.lanSubnetB()), cb.localTs());
        assertEquals(ca.spiIn(), cb.spiOut());
        assertEquals(ca.spiOut(), cb.spiIn());
        // 5 echo requests out of A, 5 replies back (strongSwan counts inner bytes)
        assertEquals(5, ca.packetsOut());
        assertEquals(5, ca.packetsIn());
        assertEquals(5, cb.packetsIn());
        assertEquals(5 * 84, ca.bytesOut());
    }

    /** GatewayProcess runs the real jar in a namespace and reports an early exit with the gateway's own words. */
    @Test
    @Timeout(60)
    void gatewayThatExitsEarlyIsReportedWithItsLog() {
        Sites s = SITES.sites();
        GatewayConfig config = GatewayConfigs.siteAToB(s, "to-b", PSK);
        config.datapath.mtu = 100; // rejected by the gateway's config validation: exit code 2
        GatewayProcess gw = SITES.gateway(s.nsA(), s.transitA()).start(config);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> gw.awaitReady(Duration.ofSeconds(20)));
        assertTrue(e.getMessage().contains("exited with 2"), e.getMessage());
        assertTrue(e.getMessage().contains("datapath.mtu"), e.getMessage());
        assertFalse(e.getMessage().contains(PSK), "the PSK must not reach logs");
        assertFalse(gw.isAlive());
    }

    private static IkeSa single(List<IkeSa> sas) {
        assertEquals(1, sas.size(), () -> "expected one IKE_SA: " + sas);
        return sas.getFirst();
    }
}
