package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RFC 6023 against strongSwan with childless = force (it starts an IKE SA without a Child SA only when the responder
 * announced CHILDLESS_IKEV2_SUPPORTED): our Passive tunnel shows the childless IKE SA as Degraded, Established once
 * strongSwan adds the Child SA with CREATE_CHILD_SA, and Pending (not Failed) after strongSwan's normal Delete. And
 * the other way round: our {@code ike.childless: Force} initiation against strongSwan as responder, which announces
 * CHILDLESS_IKEV2_SUPPORTED unless its {@code childless = never}.
 */
@Timeout(90)
class ChildlessIT extends OnTwoSites {
    private static final String PSK = "childless-psk-not-secret";

    private JsonNode tunnel(GatewayProcess gw) {
        return gw.status().path("tunnels").path(0);
    }

    @Test
    void childlessIkeSaIsDegradedThenEstablishedThenPendingAfterDelete() {
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "Userspace";
        c.tunnels.getFirst().initiation = TunnelSpec.Initiation.Passive;
        GatewayProcess gw = gatewayA(c);
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.INITIATOR).psk(PSK).childless("force").build());

        ExecResult ike = swan.swanctl(Duration.ofSeconds(30), "--initiate", "--ike", "site-b");
        assertEquals(0, ike.exitCode(), ike.describe());
        JsonNode childless = await(() -> {
            JsonNode t = tunnel(gw);
            return "ESTABLISHED".equals(t.path("ike").path("state").asText()) ? t : null;
        }, "our side has the IKE SA");
        assertEquals("Degraded", childless.path("phase").asText(), childless.toString());
        assertEquals(0, childless.path("children").size(), childless.toString());
        assertTrue(childless.path("lastError").isMissingNode(), childless.toString());
        assertTrue(swan.listSas().getFirst().children().isEmpty(), "strongSwan made the IKE SA without a Child SA");

        ExecResult child = swan.swanctl(Duration.ofSeconds(30), "--initiate", "--child", "lan-lan");
        assertEquals(0, child.exitCode(), child.describe());
        await(() -> "Established".equals(tunnel(gw).path("phase").asText()) ? true : null, "Established with the Child SA");
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic through the Child SA");

        assertEquals(0, swan.swanctl(Duration.ofSeconds(30), "--terminate", "--ike", "site-b").exitCode());
        JsonNode deleted = await(() -> {
            JsonNode t = tunnel(gw);
            return t.path("ike").isMissingNode() ? t : null;
        }, "the IKE SA is gone on our side");
        assertEquals("Pending", deleted.path("phase").asText(), "a Passive tunnel after a normal Delete: " + deleted);
        assertEquals("peer_deleted", deleted.path("lastErrorReason").asText(), deleted.toString());
    }

    @Test
    void forcedChildlessInitiationGetsItsChildSaByCreateChildSa() throws IOException {
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).build());
        GatewayProcess gw = childlessInitiator(TunnelSpec.Childless.Force);
        await(() -> "Established".equals(tunnel(gw).path("phase").asText()) ? true : null, "Established");
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic through the Child SA");
        JsonNode t = tunnel(gw);
        assertEquals(1, t.path("children").size(), t.toString());
        assertTrue(t.path("lastError").isMissingNode(), t.toString());
        // strongSwan's log of what it parsed: IKE_AUTH without SA/TSi/TSr, then the Child SA's own exchange.
        String log = Files.readString(swan.logFile());
        String auth = log.lines().filter(l -> l.contains("parsed IKE_AUTH request")).findFirst().orElseThrow();
        assertTrue(auth.contains(" AUTH ") && !auth.contains(" SA ") && !auth.contains("TSi"), auth);
        assertTrue(log.contains("parsed CREATE_CHILD_SA request"), "strongSwan got a CREATE_CHILD_SA request");
        assertEquals(1, swan.listSas().getFirst().children().size(), "strongSwan has the Child SA");
    }

    @Test
    void forcedChildlessInitiationFailsClearlyWhenThePeerDoesNotSupportIt() {
        SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).childless("never").build());
        GatewayProcess gw = childlessInitiator(TunnelSpec.Childless.Force);
        JsonNode t = await(() -> {
            JsonNode x = tunnel(gw);
            return "childless_unsupported".equals(x.path("lastErrorReason").asText()) ? x : null;
        }, "the tunnel says why it cannot start");
        assertTrue(t.path("lastError").asText().contains("CHILDLESS_IKEV2_SUPPORTED"), t.toString());
        assertEquals(0, t.path("children").size(), t.toString());
    }

    private GatewayProcess childlessInitiator(TunnelSpec.Childless childless) {
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "Userspace";
        c.tunnels.getFirst().ike.childless = childless;
        return gatewayA(c);
    }
}
