package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.ChildSa;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeFlood;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.e2e.support.SwanctlConf.StartAction;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * IKEv2 interoperability with a real strongSwan (5.9, Debian) in the other namespace, in both roles: the IKE SA and
 * the first Child SA must be ESTABLISHED / INSTALLED on strongSwan's side with the expected algorithms and selectors,
 * and our /status must agree. Failures must be clean on both sides.
 */
@Timeout(90)
class StrongSwanInteropIT extends OnTwoSites {
    private static final String PSK = "interop-test-psk-not-secret";

    /** Ours, strongSwan's for IKE / ESP, and what swanctl prints for the IKE and Child SA. */
    record Case(String ike, String esp, String swanIke, String swanChild) {
        @Override
        public String toString() {
            return ike + " / " + esp;
        }
    }

    static Stream<Arguments> proposals() {
        return Stream.of(
                new Case("aes256gcm16-prfsha384-modp3072", "aes256gcm16-modp3072",
                        "AES_GCM_16_256/PRF_HMAC_SHA2_384/MODP_3072", "AES_GCM_16_256"),
                new Case("aes128gcm16-prfsha256-ecp256", "aes128gcm16",
                        "AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256", "AES_GCM_16_128"),
                new Case("chacha20poly1305-prfsha256-x25519", "chacha20poly1305",
                        "CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519", "CHACHA20_POLY1305"),
                new Case("aes256-sha256-ecp384", "aes256-sha256",
                        "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_384", "AES_CBC_256/HMAC_SHA2_256_128"))
                .map(Arguments::of);
    }

    private GatewayConfig gatewayConfig(String ike, String esp, TunnelSpec.Initiation initiation) {
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "None"; // IKE only here; the datapath has its own end-to-end tests
        TunnelConfig t = c.tunnels.getFirst();
        t.ike.proposals = List.of(ike);
        t.esp.proposals = List.of(esp);
        t.initiation = initiation;
        return c;
    }

    private SwanctlConf.Builder strongSwanB(Role role, String ike, String esp) {
        return SwanctlConf.builder().name("site-b").role(role)
                .startAction(StartAction.NONE)
                .local(s.transitB(), "site-b.test").remote(role == Role.INITIATOR ? s.transitA() : null, "site-a.test")
                .psk(PSK).ikeProposals(ike).espProposals(esp)
                .localTs(s.lanSubnetB()).remoteTs(s.lanSubnetA());
    }

    private GatewayProcess gateway(GatewayConfig c) {
        return gatewayA(c);
    }

    @ParameterizedTest(name = "Java initiator -> strongSwan responder: {0}")
    @MethodSource("proposals")
    void javaInitiatesToStrongSwan(Case c) {
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.RESPONDER, c.ike(), c.esp()).build());
        GatewayProcess gw = gateway(gatewayConfig(c.ike(), c.esp(), TunnelSpec.Initiation.Start));
        IkeSa sa = awaitEstablished(swan);
        assertFalse(sa.initiator(), "strongSwan is the responder");
        checkAgreement(c, sa, gw);
    }

    @ParameterizedTest(name = "strongSwan initiator -> Java responder: {0}")
    @MethodSource("proposals")
    void strongSwanInitiatesToJava(Case c) {
        GatewayProcess gw = gateway(gatewayConfig(c.ike(), c.esp(), TunnelSpec.Initiation.Passive));
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.INITIATOR, c.ike(), c.esp()).build());
        assertEquals(0, swan.initiate("lan-lan", Duration.ofSeconds(30)).exitCode(), "swanctl --initiate succeeds");
        IkeSa sa = awaitEstablished(swan);
        assertTrue(sa.initiator(), "strongSwan is the initiator");
        checkAgreement(c, sa, gw);
    }

    private void checkAgreement(Case c, IkeSa sa, GatewayProcess gw) {
        assertEquals(c.swanIke(), sa.proposal());
        assertEquals("site-a.test", sa.remoteId());
        assertEquals(4500, sa.remotePort(), "IKE floated to the NAT-T port");
        ChildSa child = sa.child("lan-lan");
        assertEquals("INSTALLED", child.state());
        assertEquals(c.swanChild(), child.proposal());
        assertTrue(child.encap(), "ESP in UDP");
        assertEquals(List.of(s.lanSubnetB()), child.localTs());
        assertEquals(List.of(s.lanSubnetA()), child.remoteTs());

        JsonNode tunnel = await(() -> {
            JsonNode t = gw.status().path("tunnels").path(0);
            return "Established".equals(t.path("phase").asText()) ? t : null;
        }, "our /status shows the tunnel Established");
        JsonNode ike = tunnel.path("ike");
        assertEquals("ESTABLISHED", ike.path("state").asText());
        assertEquals(c.ike().replace("aes256-sha256-", "aes256-sha256-prfsha256-"), ike.path("proposal").asText());
        assertEquals(sa.initiatorSpi(), ike.path("spiInitiator").asText());
        assertEquals(sa.responderSpi(), ike.path("spiResponder").asText());
        assertTrue(ike.path("udpEncapsulation").asBoolean());
        JsonNode ours = tunnel.path("children").path(0);
        assertEquals(child.spiIn(), ours.path("spiOut").asText(), "their inbound SPI is our outbound SPI");
        assertEquals(child.spiOut(), ours.path("spiIn").asText());
        assertEquals(List.of(s.lanSubnetA()), strings(ours.path("localSubnets")));
        assertEquals(List.of(s.lanSubnetB()), strings(ours.path("remoteSubnets")));
        assertTrue(gw.metrics().contains("strait_ike_sa_established_total{gateway=\"standalone\",tunnel=\"to-b\"} 1.0"),
                "established counter");
    }

    @Test
    void javaToJavaBetweenNamespaces() {
        GatewayConfig b = GatewayConfigs.siteBToA(s, "to-a", PSK);
        b.datapath.mode = "None";
        b.tunnels.getFirst().initiation = TunnelSpec.Initiation.Passive;
        b.tunnels.getFirst().ike.proposals = List.of("aes256gcm16-prfsha384-x25519");
        GatewayProcess gwB = SITES.gateway(s.nsB(), s.transitB()).start(b).awaitReady(Duration.ofSeconds(30));
        try {
            GatewayProcess gwA = gateway(gatewayConfig("aes256gcm16-prfsha384-x25519", "aes256gcm16", TunnelSpec.Initiation.Start));
            JsonNode a = await(() -> established(gwA), "A established");
            JsonNode bStatus = await(() -> established(gwB), "B established");
            assertEquals(a.path("ike").path("spiInitiator").asText(), bStatus.path("ike").path("spiInitiator").asText());
            assertEquals("initiator", a.path("ike").path("role").asText());
            assertEquals("responder", bStatus.path("ike").path("role").asText());
            assertEquals(a.path("children").path(0).path("spiIn").asText(), bStatus.path("children").path(0).path("spiOut").asText());
        } finally {
            gwB.stop();
        }
    }

    @Test
    void binaryPskInBothRolesMatchesStrongSwansHexForm() throws Exception {
        // Not UTF-8 (0xff, a lone continuation byte), with a NUL and a trailing 0x0a: strongSwan reads "0x..." as these
        // bytes; our gateway YAML carries them as psk.hex (what the operator writes for a binary Secret).
        String hex = "ff80c32800deadbeef0102030405060708090a0b0c0d0e0f1011121314150a";
        for (TunnelSpec.Initiation initiation : List.of(TunnelSpec.Initiation.Start, TunnelSpec.Initiation.Passive)) {
            boolean weInitiate = initiation == TunnelSpec.Initiation.Start;
            GatewayConfig c = gatewayConfig("aes256gcm16-prfsha384-x25519", "aes256gcm16", initiation);
            c.tunnels.getFirst().auth.psk.value = null;
            c.tunnels.getFirst().auth.psk.hex = hex;
            SwanctlConf conf = strongSwanB(weInitiate ? Role.RESPONDER : Role.INITIATOR, "aes256gcm16-prfsha384-x25519",
                    "aes256gcm16").psk("0x" + hex).build();
            StrongSwan swan = weInitiate ? SITES.strongSwan(s.nsB()).start(conf) : null;
            GatewayProcess gw = gateway(c);
            if (!weInitiate) {
                swan = SITES.strongSwan(s.nsB()).start(conf);
                assertEquals(0, swan.initiate("lan-lan", Duration.ofSeconds(30)).exitCode(), "swanctl --initiate succeeds");
            }
            IkeSa sa = awaitEstablished(swan);
            assertEquals(!weInitiate, sa.initiator());
            assertFalse(Files.readString(gw.logFile()).contains(hex), "the PSK never reaches the log");
            SITES.stopAll();
        }
    }

    @Test
    void wrongPskFailsCleanlyWithJavaAsInitiator() throws Exception {
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.RESPONDER, "aes256gcm16-prfsha384-ecp384", "aes256gcm16")
                .psk("a-different-psk-for-this-test").build());
        GatewayProcess gw = gateway(gatewayConfig("aes256gcm16-prfsha384-ecp384", "aes256gcm16", TunnelSpec.Initiation.Start));
        JsonNode t = await(() -> withReason(gw, "peer_rejected"), "our side reports the peer's AUTHENTICATION_FAILED");
        assertTrue(t.path("lastError").asText().contains("AUTHENTICATION_FAILED"), t.toString());
        await(() -> Files.readString(swan.logFile()).contains("MAC mismatched") ? true : null,
                "strongSwan logs the failed authentication");
        assertTrue(swan.listSas().stream().noneMatch(IkeSa::established));
        assertTrue(gw.metrics().contains("strait_ike_auth_failures_total{gateway=\"standalone\",reason=\"peer_rejected\",tunnel=\"to-b\"}"));
        assertFalse(Files.readString(gw.logFile()).contains(PSK), "the PSK never reaches the log");
    }

    @Test
    void wrongPskFailsCleanlyWithJavaAsResponder() throws Exception {
        GatewayProcess gw = gateway(gatewayConfig("aes256gcm16-prfsha384-ecp384", "aes256gcm16", TunnelSpec.Initiation.Passive));
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.INITIATOR, "aes256gcm16-prfsha384-ecp384", "aes256gcm16")
                .psk("a-different-psk-for-this-test").build());
        assertTrue(swan.tryInitiate("lan-lan", Duration.ofSeconds(20)).exitCode() != 0, "strongSwan's initiate fails");
        assertTrue(Files.readString(swan.logFile()).contains("AUTHENTICATION_FAILED"), "strongSwan received AUTHENTICATION_FAILED");
        JsonNode t = await(() -> withReason(gw, "psk_mismatch"), "our side reports the PSK mismatch");
        assertFalse(t.path("lastError").asText().contains(PSK));
        assertTrue(gw.metrics().contains("reason=\"psk_mismatch\""));
    }

    @Test
    void noCommonProposalFailsCleanlyInBothRoles() throws Exception {
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.RESPONDER, "aes128gcm16-prfsha256-ecp256", "aes128gcm16").build());
        GatewayProcess gw = gateway(gatewayConfig("aes256-sha384-ecp384", "aes256gcm16", TunnelSpec.Initiation.Start));
        JsonNode t = await(() -> withReason(gw, "no_proposal"), "Java initiator reports NO_PROPOSAL_CHOSEN");
        assertTrue(t.path("lastError").asText().contains("NO_PROPOSAL_CHOSEN"), t.toString());
        assertTrue(Files.readString(swan.logFile()).contains("received proposals unacceptable"), "strongSwan logs it too");
        gw.stop();
        swan.stop();

        GatewayProcess responder = gateway(gatewayConfig("aes256-sha384-ecp384", "aes256gcm16", TunnelSpec.Initiation.Passive));
        StrongSwan initiator = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.INITIATOR, "aes128gcm16-prfsha256-ecp256", "aes128gcm16").build());
        assertTrue(initiator.tryInitiate("lan-lan", Duration.ofSeconds(20)).exitCode() != 0);
        assertTrue(Files.readString(initiator.logFile()).contains("NO_PROPOSAL_CHOSEN"), "strongSwan received NO_PROPOSAL_CHOSEN");
        // Refused before authentication: counted per gateway, not on the tunnel (a spoofed request must not change it).
        await(() -> IkeFlood.sum(responder.metrics(), "strait_ike_rejected_total", "reason=\"no_proposal\"") > 0 ? true : null,
                "Java responder counts the refusal");
    }

    @Test
    void identityMismatchFailsCleanlyInBothRoles() throws Exception {
        // We expect the peer to be someone else.
        GatewayConfig c = gatewayConfig("aes256gcm16-prfsha384-ecp384", "aes256gcm16", TunnelSpec.Initiation.Passive);
        c.tunnels.getFirst().peer.id = "not-site-b.test";
        GatewayProcess gw = gateway(c);
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.INITIATOR, "aes256gcm16-prfsha384-ecp384", "aes256gcm16").build());
        assertTrue(swan.tryInitiate("lan-lan", Duration.ofSeconds(20)).exitCode() != 0);
        assertTrue(Files.readString(swan.logFile()).contains("AUTHENTICATION_FAILED"));
        // Refused before authentication: counted per gateway and logged, never written into a tunnel's status.
        await(() -> IkeFlood.sum(gw.metrics(), "strait_ike_rejected_total", "reason=\"id_mismatch\"") > 0 ? true : null,
                "Java responder counts the identity mismatch");
        assertTrue(Files.readString(gw.logFile()).contains("identified as 'site-b.test'"), "and logs the identity");
        gw.stop();
        swan.stop();

        // strongSwan answers with an identity we do not expect.
        StrongSwan responder = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.RESPONDER, "aes256gcm16-prfsha384-ecp384", "aes256gcm16")
                .local(s.transitB(), "impostor.test").build());
        GatewayConfig ci = gatewayConfig("aes256gcm16-prfsha384-ecp384", "aes256gcm16", TunnelSpec.Initiation.Start);
        GatewayProcess initiator = gateway(ci);
        await(() -> {
            JsonNode x = initiator.status().path("tunnels").path(0);
            String reason = x.path("lastErrorReason").asText();
            return reason.equals("id_mismatch") || reason.equals("peer_rejected") ? x : null;
        }, "Java initiator refuses the wrong identity");
        assertTrue(responder.listSas().stream().noneMatch(sa -> sa.established() && !sa.children().isEmpty()));
    }

    @Test
    void retriesWithTheGroupStrongSwanAsksFor() throws Exception {
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(strongSwanB(Role.RESPONDER, "aes256gcm16-prfsha384-ecp256", "aes256gcm16").build());
        GatewayProcess gw = gateway(gatewayConfig("aes256gcm16-prfsha384-x25519-ecp256", "aes256gcm16", TunnelSpec.Initiation.Start));
        IkeSa sa = awaitEstablished(swan);
        assertEquals("AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_256", sa.proposal());
        assertTrue(Files.readString(gw.logFile()).contains("INVALID_KE_PAYLOAD"), "we retried after INVALID_KE_PAYLOAD");
        assertTrue(Files.readString(swan.logFile()).contains("DH group CURVE_25519 unacceptable, requesting ECP_256"),
                "strongSwan asked for its group");
    }

    // ------------------------------------------------------------------ helpers

    private static JsonNode established(GatewayProcess gw) {
        JsonNode t = gw.status().path("tunnels").path(0);
        return "Established".equals(t.path("phase").asText()) ? t : null;
    }

    private static JsonNode withReason(GatewayProcess gw, String reason) {
        JsonNode t = gw.status().path("tunnels").path(0);
        return reason.equals(t.path("lastErrorReason").asText()) ? t : null;
    }

    private static List<String> strings(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private static IkeSa awaitEstablished(StrongSwan swan) {
        return await(() -> swan.listSas().stream()
                .filter(sa -> sa.established() && sa.children().stream().anyMatch(ChildSa::installed))
                .findFirst().orElse(null), "strongSwan shows IKE SA ESTABLISHED with an INSTALLED Child SA");
    }

}
