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
import dev.strait.e2e.support.Sites;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.e2e.support.SwanctlConf.StartAction;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A tunnel with two remote subnets against strongSwan, which keeps one subnet pair per CHILD_SA ({@code children}
 * lan1 and lan2 of one connection). As initiator we get one Child SA in IKE_AUTH and must create the other with
 * CREATE_CHILD_SA (RFC 7296 section 1.3.1); as responder we accept both of strongSwan's. Against one strongSwan child
 * that allows both subnets, esp.childSas decides: Combined puts both pairs in one CHILD_SA, PerSubnetPair makes one
 * per pair. Traffic goes from site A's LAN to an address in each of site B's subnets.
 */
@Timeout(150)
class AdditionalChildSaIT extends OnTwoSites {
    private static final String PSK = "additional-child-psk-not-secret";
    private static final String IKE = "aes256gcm16-prfsha384-ecp384";
    /** The second LAN of site B, added next to the one the harness gives it. */
    private static final String LAN2_ADDRESS = "10.21.0.1";
    private static final String LAN2 = "10.21.0.0/24";

    @BeforeAll
    static void secondLanAtSiteB() {
        Sites sites = SITES.sites();
        assertEquals(0, sites.exec(sites.nsB(), "ip", "addr", "replace", LAN2_ADDRESS + "/24", "dev", "lan0").exitCode(),
                "second LAN address at site B");
    }

    private GatewayProcess gateway(TunnelSpec.Initiation initiation, Consumer<TunnelConfig> adjust) {
        GatewayConfig c = GatewayConfigs.userspaceSiteAToB(s, PSK, IKE, initiation);
        TunnelConfig t = c.tunnels.getFirst();
        t.esp.proposals = List.of("aes256gcm16-ecp384"); // PFS: the additional Child SA carries its own KE
        t.remote.subnets = List.of(s.lanSubnetB(), LAN2);
        adjust.accept(t);
        return gatewayA(c);
    }

    private StrongSwan strongSwan(Role role, StartAction start, String childRekey) {
        return SITES.strongSwan(s.nsB()).start(SwanctlConf.builder().name("site-b").role(role).startAction(start)
                .local(s.transitB(), "site-b.test").remote(role == Role.INITIATOR ? s.transitA() : null, "site-a.test")
                .psk(PSK).ikeProposals(IKE).espProposals("aes256gcm16-ecp384").childRekeyTime(childRekey)
                .child("lan1").localTs(s.lanSubnetB()).remoteTs(s.lanSubnetA())
                .extraChild("lan2", List.of(LAN2), List.of(s.lanSubnetA())).build());
    }

    /** One IKE SA on strongSwan's side with lan1 and lan2 INSTALLED, each with its own subnet. */
    private IkeSa bothChildren(StrongSwan swan) {
        return await(() -> swan.listSas().stream().filter(IkeSa::established).filter(sa -> {
            List<ChildSa> installed = sa.children().stream().filter(ChildSa::installed).toList();
            return installed.stream().anyMatch(c -> c.name().equals("lan1") && c.localTs().equals(List.of(s.lanSubnetB())))
                    && installed.stream().anyMatch(c -> c.name().equals("lan2") && c.localTs().equals(List.of(LAN2)));
        }).findFirst().orElse(null), "strongSwan has lan1 and lan2 INSTALLED");
    }

    /** Our /status: Established with exactly the two Child SAs strongSwan has (SPIs mirrored), one per remote subnet. */
    private void statusAgrees(GatewayProcess gw, IkeSa sa) {
        await(() -> {
            JsonNode t = gw.status().path("tunnels").path(0);
            if (!"Established".equals(t.path("phase").asText()) || t.path("children").size() != 2) {
                return null;
            }
            Set<String> ours = new HashSet<>();
            for (JsonNode c : t.path("children")) {
                ours.add(c.path("spiIn").asText() + "/" + c.path("spiOut").asText() + "/" + c.path("remoteSubnets").path(0).asText());
            }
            Set<String> theirs = new HashSet<>();
            for (ChildSa c : sa.children()) {
                theirs.add(c.spiOut() + "/" + c.spiIn() + "/" + c.localTs().getFirst());
            }
            return ours.equals(theirs) ? true : null;
        }, "our status lists both Child SAs with strongSwan's SPIs");
    }

    private void pingsBothSubnets() {
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic to " + s.lanB() + " (lan1)");
        await(() -> s.ping(s.nsA(), s.lanA(), LAN2_ADDRESS, 1) == 1 ? true : null, "traffic to " + LAN2_ADDRESS + " (lan2)");
        assertEquals(5, s.ping(s.nsA(), s.lanA(), s.lanB(), 5));
        assertEquals(5, s.ping(s.nsA(), s.lanA(), LAN2_ADDRESS, 5));
    }

    /** Each Child SA carried its own subnet's traffic: strongSwan counted packets in on both. */
    private void bothCarriedTraffic(StrongSwan swan) {
        IkeSa sa = bothChildren(swan);
        for (String name : List.of("lan1", "lan2")) {
            assertTrue(sa.child(name).packetsIn() >= 5, name + " carried traffic: " + sa.child(name));
        }
    }

    @Test
    void weInitiateAndCreateTheChildSaStrongSwanLeftOut() {
        StrongSwan swan = strongSwan(Role.RESPONDER, StartAction.NONE, null);
        GatewayProcess gw = gateway(TunnelSpec.Initiation.Start, t -> { });
        IkeSa sa = bothChildren(swan);
        assertTrue(!sa.initiator(), "we initiated the IKE SA");
        assertEquals("ECP_384", sa.children().stream().filter(c -> c.dhGroup() != null).findFirst()
                .map(ChildSa::dhGroup).orElse(null), "the additional Child SA used PFS");
        statusAgrees(gw, sa);
        pingsBothSubnets();
        bothCarriedTraffic(swan);
        assertTrue(gw.metrics().contains("strait_tunnel_up{gateway=\"standalone\",tunnel=\"to-b\"} 1.0"), gw.metrics());
    }

    @Test
    void strongSwanInitiatesBothChildSasToUs() {
        GatewayProcess gw = gateway(TunnelSpec.Initiation.Passive, t -> { });
        StrongSwan swan = strongSwan(Role.INITIATOR, StartAction.NONE, null);
        assertEquals(0, swan.initiate("lan1", Duration.ofSeconds(30)).exitCode(), "swanctl --initiate --child lan1");
        assertEquals(0, swan.initiate("lan2", Duration.ofSeconds(30)).exitCode(), "swanctl --initiate --child lan2");
        IkeSa sa = bothChildren(swan);
        assertTrue(sa.initiator(), "strongSwan initiated");
        assertEquals(1, swan.listSas().size(), "both children share one IKE SA");
        statusAgrees(gw, sa);
        pingsBothSubnets();
        bothCarriedTraffic(swan);
    }

    @Test
    void theAdditionalChildSaSurvivesItsRekey() throws Exception {
        StrongSwan swan = strongSwan(Role.RESPONDER, StartAction.NONE, null);
        GatewayProcess gw = gateway(TunnelSpec.Initiation.Start, t -> { });
        IkeSa before = bothChildren(swan);
        String lan2Before = before.child("lan2").spiIn();
        String lan1Before = before.child("lan1").spiIn();
        pingsBothSubnets();
        assertEquals(0, swan.swanctl(Duration.ofSeconds(20), "--rekey", "--child", "lan2").exitCode());
        IkeSa after = await(() -> {
            IkeSa now = bothChildren(swan);
            return now.children().size() == 2 && !now.child("lan2").spiIn().equals(lan2Before) ? now : null;
        }, "lan2 rekeyed, the old SA gone");
        assertEquals(lan1Before, after.child("lan1").spiIn(), "lan1 untouched");
        statusAgrees(gw, after);
        pingsBothSubnets();
        assertTrue(gw.metrics().contains("strait_child_sa_rekeys_total{gateway=\"standalone\",tunnel=\"to-b\"} 1.0"), gw.metrics());
    }

    @Test
    void aChildSaThePeerDeletesIsAskedForAgain() {
        StrongSwan swan = strongSwan(Role.RESPONDER, StartAction.NONE, null);
        GatewayProcess gw = gateway(TunnelSpec.Initiation.Start, t -> { });
        IkeSa before = bothChildren(swan);
        pingsBothSubnets();
        String lan2Before = before.child("lan2").spiIn();
        // strongSwan sends an INFORMATIONAL DELETE for lan2 and keeps the IKE SA and lan1
        assertEquals(0, swan.swanctl(Duration.ofSeconds(20), "--terminate", "--child", "lan2").exitCode());
        IkeSa after = await(() -> {
            IkeSa now = bothChildren(swan);
            return now.child("lan2").spiIn().equals(lan2Before) ? null : now;
        }, "lan2 back with new SPIs on the same IKE SA");
        assertEquals(before.initiatorSpi(), after.initiatorSpi(), "the IKE SA stayed");
        assertEquals(before.child("lan1").spiIn(), after.child("lan1").spiIn(), "lan1 untouched");
        statusAgrees(gw, after);
        pingsBothSubnets();
    }

    /** strongSwan as responder with one child "lans" whose local_ts holds both of site B's subnets. */
    private StrongSwan strongSwanOneChildForBothSubnets() {
        return SITES.strongSwan(s.nsB()).start(SwanctlConf.builder().name("site-b").role(Role.RESPONDER)
                .startAction(StartAction.NONE).local(s.transitB(), "site-b.test").remote(null, "site-a.test")
                .psk(PSK).ikeProposals(IKE).espProposals("aes256gcm16-ecp384")
                .child("lans").localTs(s.lanSubnetB(), LAN2).remoteTs(s.lanSubnetA()).build());
    }

    /** strongSwan's established IKE SA once its INSTALLED CHILD_SAs carry exactly these local selector sets. */
    private IkeSa installedChildren(StrongSwan swan, Set<Set<String>> localTs) {
        return await(() -> swan.listSas().stream().filter(IkeSa::established).filter(sa -> sa.children().stream()
                .filter(ChildSa::installed).map(c -> Set.copyOf(c.localTs())).collect(Collectors.toSet()).equals(localTs)
                && sa.children().stream().filter(ChildSa::installed).count() == localTs.size()).findFirst().orElse(null),
                "strongSwan's CHILD_SAs carry " + localTs);
    }

    @Test
    void perSubnetPairMakesOneChildSaPerPairWhereStrongSwanWouldTakeBothInOne() {
        StrongSwan swan = strongSwanOneChildForBothSubnets();
        GatewayProcess gw = gateway(TunnelSpec.Initiation.Start, t -> t.esp.childSas = TunnelSpec.ChildSas.PerSubnetPair);
        IkeSa sa = installedChildren(swan, Set.of(Set.of(s.lanSubnetB()), Set.of(LAN2)));
        assertTrue(!sa.initiator(), "we initiated the IKE SA");
        statusAgrees(gw, sa);
        pingsBothSubnets();
        IkeSa after = installedChildren(swan, Set.of(Set.of(s.lanSubnetB()), Set.of(LAN2)));
        for (ChildSa c : after.children()) {
            assertTrue(c.packetsIn() >= 5, "each pair's CHILD_SA carried its own traffic: " + c);
        }
    }

    @Test
    void combinedPutsBothPairsInTheOneChildSaStrongSwanAllows() {
        StrongSwan swan = strongSwanOneChildForBothSubnets();
        GatewayProcess gw = gateway(TunnelSpec.Initiation.Start, t -> { }); // esp.childSas defaults to Combined
        installedChildren(swan, Set.of(Set.of(s.lanSubnetB(), LAN2)));
        await(() -> "Established".equals(gw.status().path("tunnels").path(0).path("phase").asText())
                && gw.status().path("tunnels").path(0).path("children").size() == 1 ? true : null, "one Child SA in our status");
        pingsBothSubnets();
    }
}
