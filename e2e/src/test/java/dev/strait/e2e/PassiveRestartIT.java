package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.e2e.support.SwanctlConf.StartAction;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of a gateway whose tunnel is Passive: strongSwan (without dead-peer detection here, so it would never notice
 * on its own) keeps its old SAs and sends ESP on them. The restarted gateway takes ESP for an SA it does not know from
 * the tunnel's peer as the sign that it lost its SAs (RFC 7296 section 2.21.4) and contacts the peer once, with
 * INITIAL_CONTACT, which replaces them.
 */
@Timeout(120)
class PassiveRestartIT extends OnTwoSites {
    private static final String PSK = "passive-restart-psk-not-secret";

    @Test
    void aRestartedPassiveGatewayCarriesTrafficAgainWithinTenSeconds() throws Exception {
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "Userspace";
        c.tunnels.getFirst().initiation = TunnelSpec.Initiation.Passive;
        GatewayProcess gw = gatewayA(c);
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(SwanctlConf.builder().name("site-b").role(Role.INITIATOR)
                .startAction(StartAction.NONE).local(s.transitB(), "site-b.test").remote(s.transitA(), "site-a.test").psk(PSK)
                .ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16")
                .localTs(s.lanSubnetB()).remoteTs(s.lanSubnetA()).build());
        swan.initiate("lan-lan", Duration.ofSeconds(20));
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic through the tunnel");

        gw.kill();
        long restarted = System.nanoTime();
        gw.start(c);
        gw.awaitReady(Duration.ofSeconds(30));
        // Traffic from site B still goes out on strongSwan's stale SA: that is what tells the gateway.
        await(() -> s.ping(s.nsB(), s.lanB(), s.lanA(), 1, 0.2) == 1 ? true : null, Duration.ofSeconds(20),
                "traffic after the restart");
        double took = (System.nanoTime() - restarted) / 1e9;
        System.out.printf("Passive tunnel: traffic %.1f s after kill -9 and restart (process start included)%n", took);
        assertTrue(took <= 10, "traffic within 10 s of the restart, took " + took + " s");
        assertTrue(s.ping(s.nsA(), s.lanA(), s.lanB(), 3) == 3, "both ways");
        String log = Files.readString(swan.logFile());
        assertTrue(log.contains("INITIAL_CONTACT") || log.contains("N(INIT_CONTACT)"), "strongSwan got our INITIAL_CONTACT");
        await(() -> swan.listSas().stream().filter(sa -> sa.established()).count() == 1 ? true : null,
                Duration.ofSeconds(10), "strongSwan dropped its stale IKE SA");
    }
}
