package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec.Initiation;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeCapture;
import dev.strait.e2e.support.IkeCapture.Frame;
import dev.strait.e2e.support.IkeFlood;
import dev.strait.e2e.support.IpsecConf;
import dev.strait.e2e.support.IpsecConf.Conn;
import dev.strait.e2e.support.Libreswan;
import dev.strait.e2e.support.Sites;
import dev.strait.e2e.support.SitesExtension;
import dev.strait.gateway.config.ConfigLoader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * IKEv2 interoperability with Libreswan 4.10 (Debian's pluto, e2e/bin/libreswan.sh) in both roles, in namespaces of
 * its own (lsw-a with Strait, lsw-b with pluto). The test kernel has no ESP, so pluto cannot install a Child SA: each
 * test asserts exactly how far the Child SA gets, and uses pluto's {@code omit-v2-ike-auth-child} impairment (a
 * childless IKE SA, RFC 6023) where an IKE SA has to stay up. Every test captures the IKE traffic on pluto's side and
 * reads it with tshark, decrypted with the keys pluto logs: nothing malformed, nothing tshark warns about. Our own
 * IKE SAs stay up with childless initiation ({@code ike.childless: Force}), which pluto supports.
 */
@Timeout(90)
class LibreswanInteropIT {
    private static final String PSK = "libreswan-interop-psk-not-secret";
    private static final String AUTHENTICATED = "authenticated peer using authby=secret and ID_FQDN '@site-a.test'";
    private static final Pattern ADD_SA_FAILED = Pattern.compile(
            "netlink response for Add SA esp\\.([0-9a-f]+)@198\\.18\\.7\\.1: ([^(]+ \\(errno \\d+\\))");
    private static final String NO_ESP = "Function not implemented (errno 38)";

    @RegisterExtension
    static final SitesExtension SITES = new SitesExtension(() -> Sites.named("lsw-a", "lsw-b", "198.18.7.1", "198.18.7.2",
            "10.17.0.1/24", "10.27.0.1/24"));

    private final Sites s = SITES.sites();
    private IkeCapture capture;
    private Libreswan pluto;

    /**
     * Ours (strongSwan syntax), Libreswan's, how pluto logs the IKE SA's algorithms, and the kernel's answer when pluto
     * adds the Child SA (no ESP at all; for AES-CBC the XFRM algorithm lookup fails first).
     */
    record Suite(String ike, String esp, String lswIke, String lswEsp, String plutoLogs, String kernelSays) {
        /** What our /status and log call the IKE proposal (an explicit PRF for the CBC suite). */
        String ours() {
            return ike.replace("aes256-sha256-", "aes256-sha256-prfsha256-");
        }

        @Override
        public String toString() {
            return ike;
        }
    }

    /** The four suites of StrongSwanInteropIT. */
    static final List<Suite> SUITES = List.of(
            new Suite("aes256gcm16-prfsha384-modp3072", "aes256gcm16-modp3072", "aes_gcm256-sha2_384;modp3072",
                    "aes_gcm256", "{cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_384 group=MODP3072}", NO_ESP),
            new Suite("aes128gcm16-prfsha256-ecp256", "aes128gcm16", "aes_gcm128-sha2_256;dh19", "aes_gcm128",
                    "{cipher=AES_GCM_16_128 integ=n/a prf=HMAC_SHA2_256 group=DH19}", NO_ESP),
            new Suite("chacha20poly1305-prfsha256-x25519", "chacha20poly1305", "chacha20_poly1305-sha2_256;dh31",
                    "chacha20_poly1305", "{cipher=CHACHA20_POLY1305_256 integ=n/a prf=HMAC_SHA2_256 group=DH31}", NO_ESP),
            new Suite("aes256-sha256-ecp384", "aes256-sha256", "aes256-sha2_256;dh20", "aes256-sha2_256",
                    "{cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=DH20}",
                    "Protocol not supported (errno 93)"));

    @BeforeEach
    void startCapture(TestInfo test) {
        pluto = SITES.libreswan(s.nsB());
        capture = IkeCapture.start(s.nsB(), s.transitInterfaceB(), "libreswan-" + test.getTestMethod().orElseThrow().getName());
    }

    @AfterEach
    void stopCapture() {
        capture.close();
    }

    // ------------------------------------------------------------------ the four suites, both roles

    /**
     * Strait initiates with each suite (one gateway, its config replaced per suite). pluto establishes the IKE SA, fails
     * to install the Child SA (errno 38: no ESP in the kernel; errno 93 for AES-CBC) and answers it with
     * TS_UNACCEPTABLE; we report that and delete the IKE SA. Then a group pluto does not want: INVALID_KE_PAYLOAD and
     * our retry with its group.
     */
    @Test
    void straitInitiatesWithEachSuite() throws Exception {
        pluto.start(IpsecConf.siteB(s, PSK, new Conn("site-b",
                String.join(",", SUITES.stream().map(Suite::lswIke).toList()),
                String.join(",", SUITES.stream().map(Suite::lswEsp).toList()))).build());
        GatewayProcess gw = null;
        for (Suite suite : SUITES) {
            long mark = pluto.logMark();
            GatewayConfig c = gatewayConfig(List.of(suite.ike()), List.of(suite.esp()), Initiation.Start);
            if (gw == null) {
                gw = gateway(c);
            } else {
                reload(gw, c);
            }
            String reply = "sent IKE_SA_INIT reply " + suite.plutoLogs();
            String log = await(() -> {
                String l = pluto.logSince(mark);
                int at = l.indexOf(reply);
                return at >= 0 && l.indexOf("NOT sending notification", at) > 0 ? l.substring(at) : null;
            }, "pluto answers with " + suite + ", then deletes the IKE SA on our Delete");
            assertTrue(log.contains("responder established IKE SA; " + AUTHENTICATED), suite + ": " + log);
            Matcher failed = ADD_SA_FAILED.matcher(log);
            assertTrue(failed.find(), suite + ": pluto fails to install the Child SA: " + log);
            assertEquals(suite.kernelSays(), failed.group(2), suite + ": " + log);
            String ours = Files.readString(gw.logFile());
            assertTrue(ours.contains("IKE SA established with /" + s.transitB() + ":4500 (" + suite.ours() + ", initiator"),
                    suite + ": " + ours);
            GatewayProcess g = gw;
            JsonNode t = await(() -> withReason(g, "ts_unacceptable"), suite + ": we report the refused Child SA");
            assertTrue(t.path("lastError").asText().contains("TS_UNACCEPTABLE"), t.toString());
        }
        // x25519 first, pluto's proposal has only DH19: it asks for its group with INVALID_KE_PAYLOAD, we retry with it
        Suite second = SUITES.get(1);
        long mark = pluto.logMark();
        reload(gw, gatewayConfig(List.of("aes128gcm16-prfsha256-x25519-ecp256"), List.of(second.esp()), Initiation.Start));
        await(() -> pluto.logSince(mark).contains("sent IKE_SA_INIT reply " + second.plutoLogs()) ? true : null,
                "pluto takes our retry with DH19");
        String ours = Files.readString(gw.logFile());
        assertTrue(ours.contains("(INVALID_KE_PAYLOAD), retrying"), ours);
        assertTrue(ours.contains("(aes128gcm16-prfsha256-ecp256, initiator"), "established with DH19: " + ours);
        gw.stop();

        List<Frame> frames = checkedCapture();
        assertTrue(frames.stream().anyMatch(f -> f.exchangeType() == Frame.IKE_SA_INIT && f.response()
                && f.source().equals(s.transitB()) && f.notifies().equals(List.of(17))), "INVALID_KE_PAYLOAD: " + frames);
        for (Suite suite : SUITES) {
            assertTrue(frames.stream().anyMatch(f -> f.exchangeType() == Frame.IKE_SA_INIT && f.response()), suite.toString());
        }
        // Decrypted (all but ChaCha20-Poly1305): pluto's IKE_AUTH response has IDr, AUTH and N(TS_UNACCEPTABLE), no SA.
        List<Frame> authResponses = frames.stream()
                .filter(f -> f.exchangeType() == Frame.IKE_AUTH && f.response() && f.decrypted()).toList();
        assertTrue(authResponses.size() >= 3, "decrypted IKE_AUTH responses: " + frames);
        for (Frame f : authResponses) {
            assertEquals(List.of(36, 39, 41), f.inner(), "IDr, AUTH, N: " + f);
            assertTrue(f.notifies().contains(38), "TS_UNACCEPTABLE: " + f);
        }
        // our Delete of each IKE SA
        assertTrue(frames.stream().filter(f -> f.exchangeType() == Frame.INFORMATIONAL && !f.response()
                && f.source().equals(s.transitA()) && f.inner().equals(List.of(Frame.DELETE))).count() >= 3, frames.toString());
    }

    /**
     * pluto initiates a childless IKE SA with each suite to our Passive tunnel (one gateway offering all four); we show it
     * Degraded with pluto's SPIs, then pluto deletes it and we show Pending with peer_deleted.
     */
    @Test
    void plutoInitiatesWithEachSuiteAndDeletes() throws Exception {
        IpsecConf.Builder conf = IpsecConf.siteB(s, PSK, conn(1, SUITES.getFirst()));
        for (int i = 1; i < SUITES.size(); i++) {
            conf.conn(conn(i + 1, SUITES.get(i)));
        }
        pluto.start(conf.build(), "omit-v2-ike-auth-child", "revival");
        GatewayProcess gw = gateway(gatewayConfig(SUITES.stream().map(Suite::ike).toList(),
                SUITES.stream().map(Suite::esp).toList(), Initiation.Passive));
        for (int i = 0; i < SUITES.size(); i++) {
            Suite suite = SUITES.get(i);
            String name = "suite-" + (i + 1);
            long mark = pluto.logMark();
            ExecResult up = pluto.initiate(name);
            assertTrue(up.stdout().contains("initiator established IKE SA; " + AUTHENTICATED), suite + ": " + up.describe());
            assertTrue(pluto.logSince(mark).contains("sent IKE_AUTH request " + suite.plutoLogs()), suite.toString());
            JsonNode t = await(() -> {
                JsonNode x = tunnel(gw);
                return "ESTABLISHED".equals(x.path("ike").path("state").asText())
                        && suite.ours().equals(x.path("ike").path("proposal").asText()) ? x : null;
            }, suite + ": our side has the IKE SA");
            assertEquals("Degraded", t.path("phase").asText(), "an IKE SA without a Child SA: " + t);
            assertEquals("responder", t.path("ike").path("role").asText());
            assertEquals(s.transitA() + ":4500", t.path("ike").path("localAddress").asText(), "floated to 4500: " + t);
            assertEquals(0, t.path("children").size(), t.toString());
            assertTrue(t.path("lastError").isMissingNode(), t.toString());
            assertTrue(pluto.states().stream().anyMatch(st -> st.conn().equals(name) && st.ikeEstablished()), pluto.describeSas());

            assertTrue(pluto.whack("--terminate", "--name", name).ok());
            JsonNode gone = await(() -> {
                JsonNode x = tunnel(gw);
                return x.path("ike").isMissingNode() ? x : null;
            }, suite + ": pluto's Delete ends our IKE SA");
            assertEquals("Pending", gone.path("phase").asText(), gone.toString());
            assertEquals("peer_deleted", gone.path("lastErrorReason").asText(), gone.toString());
        }
        assertTrue(gw.metrics().contains("strait_ike_sa_established_total{gateway=\"standalone\",tunnel=\"to-b\"} 4.0"),
                gw.metrics());

        List<Frame> frames = checkedCapture();
        List<Frame> authRequests = frames.stream()
                .filter(f -> f.exchangeType() == Frame.IKE_AUTH && !f.response() && f.decrypted()).toList();
        assertEquals(3, authRequests.size(), "decrypted IKE_AUTH requests (not ChaCha20-Poly1305): " + frames);
        for (Frame f : authRequests) {
            assertFalse(f.inner().contains(Frame.SA), "childless: no SA in IKE_AUTH: " + f);
        }
        assertEquals(4, frames.stream().filter(f -> f.exchangeType() == Frame.INFORMATIONAL && !f.response()
                && f.source().equals(s.transitB()) && f.payloads().contains(Frame.SK)).count(), "pluto's Deletes: " + frames);
    }

    // ------------------------------------------------------------------ rekeys, liveness and Delete on one IKE SA

    /**
     * On a childless IKE SA that pluto initiated: pluto rekeys it, then we do (so each side is once the new IKE SA's
     * initiator); pluto's liveness check gets its answer; our Delete (gateway stop) ends it on pluto's side.
     */
    @Test
    void ikeSaRekeysBothWaysLivenessAndOurDelete() throws Exception {
        Suite suite = SUITES.getFirst();
        pluto.start(IpsecConf.siteB(s, PSK, new Conn("site-b", suite.lswIke(), suite.lswEsp())).build(),
                "omit-v2-ike-auth-child", "revival");
        GatewayProcess gw = gateway(gatewayConfig(List.of(suite.ike()), List.of(suite.esp()), Initiation.Passive));
        assertTrue(pluto.initiate("site-b").ok());
        JsonNode first = await(() -> established(gw), "our side has the IKE SA");

        long mark = pluto.logMark();
        assertTrue(pluto.whack("--rekey-ike", "--name", "site-b").ok());
        JsonNode second = await(() -> {
            JsonNode x = established(gw);
            return x != null && !spis(x).equals(spis(first)) ? x : null;
        }, "pluto's IKE rekey replaces our IKE SA");
        assertEquals("responder", second.path("ike").path("role").asText(), "pluto started the rekey: " + second);
        assertEquals("Degraded", second.path("phase").asText(), "a rekey changes no phase: " + second);
        String rekeyed = pluto.logSince(mark);
        assertTrue(rekeyed.contains("initiator rekeyed IKE SA #1 " + suite.plutoLogs()), rekeyed);

        mark = pluto.logMark();
        assertEquals(202, gw.post("/tunnels/to-b/rekey?sa=ike"));
        JsonNode third = await(() -> {
            JsonNode x = established(gw);
            return x != null && !spis(x).equals(spis(second)) ? x : null;
        }, "our IKE rekey replaces the IKE SA");
        assertEquals("initiator", third.path("ike").path("role").asText(), "we started the rekey: " + third);
        long m2 = mark;
        await(() -> pluto.logSince(m2).contains("responder rekeyed IKE SA #2 " + suite.plutoLogs()) ? true : null,
                "pluto took our rekey");
        Libreswan.State current = await(() -> pluto.states().stream().filter(Libreswan.State::ikeEstablished)
                .filter(st -> st.number() == 3).findFirst().orElse(null), "pluto holds only the newest IKE SA (#3)");
        assertEquals(1, pluto.states().size(), pluto.describeSas());
        assertTrue(gw.metrics().contains("strait_ike_sa_rekeys_total{gateway=\"standalone\",tunnel=\"to-b\"} 2.0"),
                gw.metrics());

        // pluto's liveness check (an empty INFORMATIONAL request): answered, the IKE SA stays
        String[] last = spis(third).split("/");
        pluto.whackOk("--impair", "initiate-v2-liveness:" + current.number());
        await(() -> capture.peek(pluto.tsharkKeys()).stream().anyMatch(f -> f.exchangeType() == Frame.INFORMATIONAL
                && f.response() && f.source().equals(s.transitA()) && f.decrypted() && f.inner().isEmpty()
                && f.spiI().equals(last[0])) ? true : null, "our answer to pluto's liveness check");
        assertTrue(pluto.states().stream().anyMatch(st -> st.number() == current.number()), pluto.describeSas());

        mark = pluto.logMark();
        gw.stop(); // sends Delete for the IKE SA
        long m3 = mark;
        await(() -> pluto.states().isEmpty() ? true : null, "our Delete ends pluto's IKE SA");
        assertTrue(pluto.logSince(m3).contains("#3: deleting state (STATE_V2_ESTABLISHED_IKE_SA)"), pluto.logSince(m3));

        List<Frame> frames = checkedCapture();
        assertEquals(2, frames.stream().filter(f -> f.exchangeType() == Frame.CREATE_CHILD_SA && f.response()
                && f.decrypted() && f.inner().containsAll(List.of(Frame.SA, 40, 34))).count(),
                "two IKE rekeys, each answered with SA, Ni/Nr and KE: " + frames);
        assertTrue(frames.stream().anyMatch(f -> f.exchangeType() == Frame.INFORMATIONAL && !f.response()
                && f.source().equals(s.transitA()) && f.inner().equals(List.of(Frame.DELETE)) && f.spiI().equals(last[0])),
                "our Delete of the newest IKE SA: " + frames);
    }

    /**
     * Our childless initiation (RFC 6023, {@code ike.childless: Force}): pluto announces CHILDLESS_IKEV2_SUPPORTED and
     * accepts IKE_AUTH without a Child SA, so an IKE SA we initiate stays up although pluto cannot install Child SAs;
     * we rekey it as its initiator and delete it.
     */
    @Test
    void straitInitiatesChildlessAndTheIkeSaStaysUp() throws Exception {
        Suite suite = SUITES.getFirst();
        pluto.start(IpsecConf.siteB(s, PSK, new Conn("site-b", suite.lswIke(), suite.lswEsp())).build());
        GatewayConfig c = gatewayConfig(List.of(suite.ike()), List.of(suite.esp()), Initiation.Start);
        c.tunnels.getFirst().ike.childless = dev.strait.api.v1alpha1.TunnelSpec.Childless.Force;
        GatewayProcess gw = gateway(c);
        JsonNode first = await(() -> established(gw), "our IKE SA is up");
        assertEquals("initiator", first.path("ike").path("role").asText(), first.toString());
        // pluto cannot install the Child SA we then ask for: it refuses it, the IKE SA stays (Degraded, not Failed)
        JsonNode refused = await(() -> withReason(gw, "ts_unacceptable"), "pluto refuses the Child SA");
        assertEquals("Degraded", refused.path("phase").asText(), refused.toString());
        assertEquals(spis(first), spis(refused), "the same IKE SA: " + refused);

        long mark = pluto.logMark();
        assertEquals(202, gw.post("/tunnels/to-b/rekey?sa=ike"));
        JsonNode rekeyed = await(() -> {
            JsonNode x = established(gw);
            return x != null && !spis(x).equals(spis(first)) ? x : null;
        }, "our IKE rekey replaces the IKE SA");
        assertEquals("initiator", rekeyed.path("ike").path("role").asText(), rekeyed.toString());
        await(() -> pluto.logSince(mark).contains("responder rekeyed IKE SA #1 " + suite.plutoLogs()) ? true : null,
                "pluto took our rekey");

        // pluto's Delete of the IKE SA we initiated: our Start tunnel notices and comes back childless again
        assertTrue(pluto.whack("--terminate", "--name", "site-b").ok());
        JsonNode back = await(() -> {
            JsonNode x = established(gw);
            return x != null && !spis(x).equals(spis(rekeyed)) ? x : null;
        }, Duration.ofSeconds(40), "a new IKE SA after pluto's Delete");
        assertEquals("initiator", back.path("ike").path("role").asText(), back.toString());

        List<Frame> frames = checkedCapture();
        List<Frame> auths = frames.stream().filter(f -> f.exchangeType() == Frame.IKE_AUTH && !f.response()
                && f.source().equals(s.transitA()) && f.decrypted()).toList();
        assertFalse(auths.isEmpty(), "our IKE_AUTH requests, decrypted: " + frames);
        assertTrue(auths.stream().noneMatch(f -> f.inner().contains(Frame.SA)), "no SA payload in our IKE_AUTH: " + auths);
        assertTrue(frames.stream().anyMatch(f -> f.exchangeType() == Frame.INFORMATIONAL && !f.response()
                && f.source().equals(s.transitB()) && f.inner().equals(List.of(Frame.DELETE))), "pluto's Delete: " + frames);
    }

    // ------------------------------------------------------------------ the Child SA

    /**
     * How far a Child SA gets. pluto puts it in IKE_AUTH: we accept and install it (Established), pluto fails to add
     * the SA with our SPI to its kernel (errno 38) and drops the IKE SA without a Delete, so we are left with a stale
     * one. On a childless IKE SA, pluto's CREATE_CHILD_SA ends the same way.
     */
    @Test
    void childSaIsInstalledOnOurSideAndFailsInPlutosKernel() throws Exception {
        Suite suite = SUITES.getFirst();
        pluto.start(IpsecConf.siteB(s, PSK, new Conn("site-b", suite.lswIke(), suite.lswEsp())).build(), "revival");
        // aes256gcm16-modp3072: pluto's CREATE_CHILD_SA asks for PFS with the IKE SA's group (pfs=yes is its default)
        GatewayProcess gw = gateway(gatewayConfig(List.of(suite.ike()), List.of(suite.esp()), Initiation.Passive));

        ExecResult inAuth = pluto.initiate("site-b");
        String spi = failedSpi(inAuth, suite);
        JsonNode t = await(() -> {
            JsonNode x = tunnel(gw);
            return "Established".equals(x.path("phase").asText()) ? x : null;
        }, "we install the Child SA of IKE_AUTH");
        assertEquals(spi, t.path("children").path(0).path("spiIn").asText(), "pluto failed to add our inbound SA: " + t);
        assertTrue(inAuth.stdout().contains("deleting state (STATE_V2_ESTABLISHED_IKE_SA)")
                && inAuth.stdout().contains("NOT sending notification"), "pluto drops its IKE SA silently: " + inAuth.stdout());
        assertTrue(pluto.states().isEmpty(), pluto.describeSas());
        assertEquals("Established", tunnel(gw).path("phase").asText(), "we cannot know: our IKE SA is stale");

        pluto.whackOk("--impair", "omit-v2-ike-auth-child");
        assertTrue(pluto.initiate("site-b").stdout().contains("initiator established IKE SA"));
        await(() -> "Degraded".equals(tunnel(gw).path("phase").asText()) ? true : null,
                "pluto's new childless IKE SA replaces our stale one");
        pluto.whackOk("--impair", "none");
        pluto.whackOk("--impair", "revival");
        ExecResult createChild = pluto.initiate("site-b");
        assertTrue(createChild.stdout().contains("sent CREATE_CHILD_SA request for new IPsec SA"), createChild.describe());
        String spi2 = failedSpi(createChild, suite);
        JsonNode t2 = await(() -> {
            JsonNode x = tunnel(gw);
            return "Established".equals(x.path("phase").asText()) ? x : null;
        }, "we install the Child SA of CREATE_CHILD_SA");
        assertEquals(spi2, t2.path("children").path(0).path("spiIn").asText(), t2.toString());
        assertTrue(pluto.states().isEmpty(), "pluto drops the IKE SA again: " + pluto.describeSas());

        List<Frame> frames = checkedCapture();
        Frame authResponse = frames.stream().filter(f -> f.exchangeType() == Frame.IKE_AUTH && f.response()).findFirst()
                .orElseThrow();
        assertTrue(authResponse.inner().containsAll(List.of(Frame.SA, 44, 45)), "our IKE_AUTH response carries the Child SA: "
                + authResponse);
        Frame childResponse = frames.stream().filter(f -> f.exchangeType() == Frame.CREATE_CHILD_SA && f.response())
                .findFirst().orElseThrow();
        assertTrue(childResponse.inner().containsAll(List.of(Frame.SA, 40, 34, 44, 45)),
                "our CREATE_CHILD_SA response: SA, Nr, KE (PFS), TSi, TSr: " + childResponse);
        assertTrue(frames.stream().noneMatch(f -> f.exchangeType() == Frame.INFORMATIONAL && f.source().equals(s.transitB())),
                "pluto never sends a Delete for the IKE SAs it drops: " + frames);
    }

    // ------------------------------------------------------------------ failures

    /** A wrong PSK: pluto initiating gets AUTHENTICATION_FAILED and we report psk_mismatch; we initiating, peer_rejected. */
    @Test
    void wrongPskFailsCleanlyInBothRoles() throws Exception {
        Suite suite = SUITES.get(1);
        pluto.start(IpsecConf.builder().local(s.transitB(), "site-b.test", s.lanSubnetB())
                .remote(s.transitA(), "site-a.test", s.lanSubnetA()).psk("a-different-psk-for-this-test-000")
                .conn(new Conn("site-b", suite.lswIke(), suite.lswEsp())).build(), "omit-v2-ike-auth-child", "revival");
        GatewayProcess gw = gateway(gatewayConfig(List.of(suite.ike()), List.of(suite.esp()), Initiation.Passive));
        ExecResult refused = pluto.initiate("site-b");
        assertTrue(refused.stdout().contains("AUTHENTICATION_FAILED"), "pluto gets AUTHENTICATION_FAILED: " + refused.describe());
        JsonNode t = await(() -> withReason(gw, "psk_mismatch"), "we report the PSK mismatch");
        assertTrue(t.path("lastError").asText().contains("PSKs differ"), t.toString());
        assertFalse(t.path("lastError").asText().contains(PSK), t.toString());
        assertTrue(pluto.states().stream().noneMatch(Libreswan.State::ikeEstablished), pluto.describeSas());

        long mark = pluto.logMark();
        reload(gw, gatewayConfig(List.of(suite.ike()), List.of(suite.esp()), Initiation.Start));
        JsonNode ours = await(() -> withReason(gw, "peer_rejected"), "we report pluto's AUTHENTICATION_FAILED");
        assertTrue(ours.path("lastError").asText().contains("AUTHENTICATION_FAILED"), ours.toString());
        assertTrue(pluto.logSince(mark).contains("AUTHENTICATION_FAILED"), pluto.logSince(mark));
        assertTrue(pluto.states().stream().noneMatch(Libreswan.State::ikeEstablished), pluto.describeSas());
        assertTrue(gw.metrics().contains("strait_ike_auth_failures_total{gateway=\"standalone\",reason=\"peer_rejected\",tunnel=\"to-b\"}"),
                gw.metrics());
        gw.stop();
        assertFalse(Files.readString(gw.logFile()).contains(PSK), "the PSK never reaches our log");
        checkedCapture();
    }

    /**
     * No common proposal: for the IKE SA in both roles (NO_PROPOSAL_CHOSEN in IKE_SA_INIT), and for pluto's Child SA on
     * an established IKE SA when our ESP proposals have no PFS group (pluto's CREATE_CHILD_SA always asks for PFS).
     */
    @Test
    void noProposalChosenInBothRolesAndForTheChildSa() throws Exception {
        Suite theirs = SUITES.get(1);
        Suite ours = SUITES.get(3);
        pluto.start(IpsecConf.siteB(s, PSK, new Conn("site-b", theirs.lswIke(), theirs.lswEsp())).build(),
                "omit-v2-ike-auth-child", "revival");
        GatewayProcess gw = gateway(gatewayConfig(List.of(ours.ike()), List.of(ours.esp()), Initiation.Start));
        JsonNode t = await(() -> withReason(gw, "no_proposal"), "we report pluto's NO_PROPOSAL_CHOSEN");
        assertTrue(t.path("lastError").asText().contains("NO_PROPOSAL_CHOSEN"), t.toString());
        assertTrue(pluto.log().contains("NO_PROPOSAL_CHOSEN"), pluto.log());

        reload(gw, gatewayConfig(List.of(ours.ike()), List.of(ours.esp()), Initiation.Passive));
        await(() -> "Pending".equals(tunnel(gw).path("phase").asText()) ? true : null, "the tunnel waits (Passive)");
        long mark = pluto.logMark();
        // pluto does not give up on an unauthenticated NO_PROPOSAL_CHOSEN: it retransmits until its own timeout
        pluto.whackOk("--asynchronous", "--initiate", "--name", "site-b");
        await(() -> pluto.logSince(mark).contains(
                "dropping unexpected IKE_SA_INIT message containing NO_PROPOSAL_CHOSEN notification") ? true : null,
                "pluto receives our NO_PROPOSAL_CHOSEN");
        await(() -> IkeFlood.sum(gw.metrics(), "strait_ike_rejected_total", "reason=\"no_proposal\"") > 0 ? true : null,
                "we count the refusal");
        pluto.whackOk("--terminate", "--name", "site-b");

        // the Child SA: IKE proposals in common, ESP without PFS on our side
        Suite suite = SUITES.getFirst();
        pluto.start(IpsecConf.siteB(s, PSK, new Conn("site-b", suite.lswIke(), suite.lswEsp())).build(),
                "omit-v2-ike-auth-child", "revival");
        reload(gw, gatewayConfig(List.of(suite.ike()), List.of("aes256gcm16"), Initiation.Passive));
        assertTrue(pluto.initiate("site-b").stdout().contains("initiator established IKE SA"));
        await(() -> established(gw), "the childless IKE SA");
        pluto.whackOk("--impair", "none");
        pluto.whackOk("--impair", "revival");
        ExecResult child = pluto.initiate("site-b");
        assertTrue(child.stdout().contains("CREATE_CHILD_SA failed with error notification NO_PROPOSAL_CHOSEN"), child.describe());
        JsonNode degraded = await(() -> withReason(gw, "no_proposal"), "we report the refused Child SA");
        assertEquals("Degraded", degraded.path("phase").asText(), degraded.toString());
        assertTrue(degraded.path("lastError").asText().contains("PFS"), degraded.toString());
        assertEquals("ESTABLISHED", degraded.path("ike").path("state").asText(), "the IKE SA stays: " + degraded);
        assertTrue(pluto.states().stream().anyMatch(Libreswan.State::ikeEstablished), "on both sides: " + pluto.describeSas());
        gw.stop();
        checkedCapture();
    }

    // ------------------------------------------------------------------ helpers

    private static Conn conn(int n, Suite suite) {
        return new Conn("suite-" + n, suite.lswIke(), suite.lswEsp());
    }

    private GatewayConfig gatewayConfig(List<String> ike, List<String> esp, Initiation initiation) {
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "None"; // IKE only: pluto cannot carry ESP here anyway
        TunnelConfig t = c.tunnels.getFirst();
        t.ike.proposals = new ArrayList<>(ike);
        t.esp.proposals = new ArrayList<>(esp);
        t.initiation = initiation;
        return c;
    }

    private GatewayProcess gateway(GatewayConfig c) {
        return SITES.gateway(s.nsA(), s.transitA()).start(c).awaitReady(Duration.ofSeconds(30));
    }

    /** Replaces the gateway's config file and waits until the gateway has applied it (it polls every 2 s). */
    private static void reload(GatewayProcess gw, GatewayConfig c) throws Exception {
        long before = applied(gw);
        gw.writeConfig(ConfigLoader.yaml().writeValueAsString(c));
        await(() -> applied(gw) > before ? true : null, "the gateway applies its new config");
    }

    private static long applied(GatewayProcess gw) throws java.io.IOException {
        return Files.readString(gw.logFile()).lines().filter(l -> l.contains("changed: applying")).count();
    }

    private List<Frame> checkedCapture() throws Exception {
        pluto.stop();
        return capture.checkedFrames(pluto.tsharkKeys());
    }

    /** The SPI in pluto's "netlink response for Add SA esp.SPI@..." error, as our /status writes SPIs (8 hex digits). */
    private static String failedSpi(ExecResult whack, Suite suite) {
        Matcher m = ADD_SA_FAILED.matcher(whack.stdout());
        assertTrue(m.find(), "pluto fails to add the Child SA to its kernel: " + whack.describe());
        assertEquals(suite.kernelSays(), m.group(2), whack.describe());
        return String.format(Locale.ROOT, "%08x", Long.parseLong(m.group(1), 16));
    }

    private static JsonNode tunnel(GatewayProcess gw) {
        return gw.status().path("tunnels").path(0);
    }

    private static JsonNode established(GatewayProcess gw) {
        JsonNode t = tunnel(gw);
        return "ESTABLISHED".equals(t.path("ike").path("state").asText()) ? t : null;
    }

    private static String spis(JsonNode tunnel) {
        return tunnel.path("ike").path("spiInitiator").asText() + "/" + tunnel.path("ike").path("spiResponder").asText();
    }

    private static JsonNode withReason(GatewayProcess gw, String reason) {
        JsonNode t = tunnel(gw);
        return reason.equals(t.path("lastErrorReason").asText()) ? t : null;
    }
}
