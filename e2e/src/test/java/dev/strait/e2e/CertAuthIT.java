package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.Await;
import dev.strait.e2e.support.E2eDirs;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.gateway.ike.auth.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Certificate authentication (RFC 7427) against strongSwan 5.9 in both roles: RSA, ECDSA and Ed25519 end entities
 * under a root -> intermediate chain, refusals (untrusted CA, expired certificate, identity not in the certificate)
 * with a clear reason, and a large chain over a 576-byte transit path (IKE fragmentation).
 */
@Timeout(90)
class CertAuthIT extends OnTwoSites {
    private static final String IKE = "aes256gcm16-prfsha384-ecp256";
    private static final Instant NOW = Instant.now();

    enum Key { RSA, ECDSA, ED25519 }

    // ------------------------------------------------------------------ a small PKI

    static KeyPair key(Key type) {
        try {
            return switch (type) {
                case RSA -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                    yield g.generateKeyPair();
                }
                case ECDSA -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    yield g.generateKeyPair();
                }
                case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            };
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A certificate and its key; issuer null: self-signed. */
    record Issued(X509Certificate cert, KeyPair key) {
    }

    static Issued issue(String cn, KeyPair k, Issued issuer, boolean ca, String dns, Instant notBefore, Instant notAfter) {
        TestPki.Cert c = TestPki.cert("C=CH, O=Strait E2E, CN=" + cn, k).validity(notBefore, notAfter);
        if (issuer != null) {
            c.issuedBy(issuer.cert(), issuer.key().getPrivate());
        }
        if (ca) {
            c.ca();
        } else {
            c.keyUsage(KeyUsage.digitalSignature).dns(dns);
        }
        return new Issued(c.build(), k);
    }

    static Issued root(String cn) {
        return issue(cn, key(Key.ECDSA), null, true, null, NOW.minus(1, ChronoUnit.DAYS), NOW.plus(30, ChronoUnit.DAYS));
    }

    static Issued intermediate(String cn, Issued parent, Key type) {
        return issue(cn, key(type), parent, true, null, NOW.minus(1, ChronoUnit.DAYS), NOW.plus(30, ChronoUnit.DAYS));
    }

    static Issued endEntity(String dns, Key type, Issued issuer) {
        return issue(dns, key(type), issuer, false, dns, NOW.minus(1, ChronoUnit.DAYS), NOW.plus(20, ChronoUnit.DAYS));
    }

    private static Path write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ the two sides

    /** Our gateway (site A) with its chain (end entity first), key and trusted CA. */
    private GatewayConfig javaSide(TunnelSpec.Initiation initiation, Issued ee, List<X509Certificate> intermediates,
            X509Certificate trusted, String peerId) {
        Path dir = E2eDirs.work("certs-java");
        List<Object> chain = new ArrayList<>(List.of(ee.cert()));
        chain.addAll(intermediates);
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", "unused-psk-for-cert-tunnels");
        c.datapath.mode = "None";
        TunnelConfig t = c.tunnels.getFirst();
        t.ike.proposals = List.of(IKE);
        t.initiation = initiation;
        t.peer.id = peerId;
        t.auth.psk = null;
        t.auth.certificate = new TunnelSpec.Certificate();
        t.auth.certificate.certFile = write(dir.resolve("cert.pem"), TestPki.pem(chain.toArray())).toString();
        t.auth.certificate.keyFile = write(dir.resolve("key.pem"), TestPki.pkcs8Pem(ee.key().getPrivate())).toString();
        t.auth.certificate.caFile = write(dir.resolve("ca.pem"), TestPki.pem(trusted)).toString();
        return c;
    }

    /** strongSwan (site B) with its end entity, intermediates (x509ca/, sent along) and the root it trusts for us. */
    private StrongSwan swanSide(Role role, Issued ee, List<X509Certificate> intermediates, X509Certificate trusted,
            String localId, String remoteId) {
        StrongSwan swan = SITES.strongSwan(s.nsB());
        Path conf = swan.confDir();
        for (String sub : List.of("x509", "x509ca", "private")) {
            try (Stream<Path> old = Files.exists(conf.resolve(sub)) ? Files.list(conf.resolve(sub)) : Stream.empty()) {
                old.forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        write(conf.resolve("x509/site-b.pem"), TestPki.pem(ee.cert()));
        write(conf.resolve("private/site-b.pem"), TestPki.pkcs8Pem(ee.key().getPrivate()));
        write(conf.resolve("x509ca/trusted.pem"), TestPki.pem(trusted));
        for (int i = 0; i < intermediates.size(); i++) {
            write(conf.resolve("x509ca/intermediate-" + i + ".pem"), TestPki.pem(intermediates.get(i)));
        }
        return swan.start(SwanctlConf.siteB(s, role).local(s.transitB(), localId)
                .remote(role == Role.INITIATOR ? s.transitA() : null, remoteId)
                .pubkey("site-b.pem", "trusted.pem").ikeProposals(IKE).espProposals("aes256gcm16").build());
    }

    /** Our initiator at site A with certificate {@code ours}, trusting {@code root}. */
    private GatewayProcess ourInitiator(Issued ours, Issued root) {
        return gatewayA(javaSide(TunnelSpec.Initiation.Start, ours, List.of(), root.cert(), "site-b.test"));
    }

    /** strongSwan at site B as responder (site-b.test) with certificate {@code theirs}, trusting {@code root}. */
    private StrongSwan swanResponder(Issued theirs, Issued root, String remoteId) {
        return swanSide(Role.RESPONDER, theirs, List.of(), root.cert(), "site-b.test", remoteId);
    }

    /**
     * Our initiator with certificate {@code ours} (trusting {@code root}) against a strongSwan responder whose
     * certificate comes from {@code root} and which expects {@code remoteId}: it refuses us, and we see its
     * AUTHENTICATION_FAILED. Returns that strongSwan, for its log.
     */
    private StrongSwan refusedByStrongSwan(Issued ours, Issued root, String remoteId, String what) {
        GatewayProcess gw = ourInitiator(ours, root);
        StrongSwan swan = swanResponder(endEntity("site-b.test", Key.ECDSA, root), root, remoteId);
        await(() -> withReason(gw, "peer_rejected"), what);
        return swan;
    }

    static Stream<Arguments> matrix() {
        return Stream.of(Key.values()).flatMap(k -> Stream.of(Arguments.of(k, true), Arguments.of(k, false)));
    }

    @ParameterizedTest(name = "{0} end entities, Java initiator: {1}")
    @MethodSource("matrix")
    void establishesWithAnIntermediateChain(Key type, boolean javaInitiates) throws Exception {
        Issued root = root("E2E Root");
        Issued inter = intermediate("E2E Intermediate", root, Key.ECDSA);
        Issued a = endEntity("site-a.test", type, inter);
        Issued b = endEntity("site-b.test", type, inter);
        GatewayConfig cfg = javaSide(javaInitiates ? TunnelSpec.Initiation.Start : TunnelSpec.Initiation.Passive, a,
                List.of(inter.cert()), root.cert(), "site-b.test");
        StrongSwan swan;
        GatewayProcess gw;
        if (javaInitiates) {
            swan = swanSide(Role.RESPONDER, b, List.of(inter.cert()), root.cert(), "site-b.test", "site-a.test");
            gw = gatewayA(cfg);
        } else {
            gw = gatewayA(cfg);
            swan = swanSide(Role.INITIATOR, b, List.of(inter.cert()), root.cert(), "site-b.test", "site-a.test");
            assertEquals(0, swan.initiate("lan-lan", Duration.ofSeconds(30)).exitCode(), "swanctl --initiate succeeds");
        }
        IkeSa sa = await(() -> swan.listSas().stream().filter(x -> x.established() && !x.children().isEmpty()).findFirst()
                .orElse(null), "strongSwan shows the IKE and Child SA");
        assertEquals("site-a.test", sa.remoteId());
        assertEquals(!javaInitiates, sa.initiator());
        await(() -> "Established".equals(gw.status().path("tunnels").path(0).path("phase").asText()) ? true : null,
                "our /status shows Established");
        String log = Files.readString(swan.logFile());
        assertTrue(log.contains("authentication of 'site-a.test' with " + switch (type) {
            case RSA -> "RSA_EMSA_PSS";
            case ECDSA -> "ECDSA_WITH_SHA";
            case ED25519 -> "ED25519";
        }), "strongSwan verified our signature scheme");
        long expiry = a.cert().getNotAfter().toInstant().getEpochSecond();
        String metrics = gw.metrics();
        var gauge = java.util.regex.Pattern.compile("strait_certificate_expiry_timestamp_seconds\\{gateway=\"standalone\",tunnel=\"to-b\"} (\\S+)")
                .matcher(metrics);
        assertTrue(gauge.find(), metrics);
        assertEquals(expiry, (long) Double.parseDouble(gauge.group(1)), "expiry gauge carries our notAfter");
    }

    @Test
    void untrustedCaIsRefusedOnBothSides() throws Exception {
        Issued root = root("E2E Root");
        Issued rogue = root("Rogue Root");
        // strongSwan's certificate comes from a CA we do not trust: we refuse it.
        GatewayProcess gw = ourInitiator(endEntity("site-a.test", Key.ECDSA, root), root);
        StrongSwan swan = swanResponder(endEntity("site-b.test", Key.ECDSA, rogue), root, "site-a.test");
        JsonNode t = await(() -> withReason(gw, "untrusted_ca"), "we refuse strongSwan's certificate as untrusted_ca");
        assertTrue(t.path("lastError").asText().contains("Rogue Root"), t.toString());
        assertTrue(gw.metrics().contains("reason=\"untrusted_ca\""));
        gw.stop();
        swan.stop();
        // Ours comes from a CA strongSwan does not trust: strongSwan refuses it and answers AUTHENTICATION_FAILED.
        StrongSwan swan2 = refusedByStrongSwan(endEntity("site-a.test", Key.ECDSA, rogue), root, "site-a.test",
                "we see strongSwan's AUTHENTICATION_FAILED");
        await(() -> Files.readString(swan2.logFile()).contains("no trusted") ? true : null, "strongSwan logs an untrusted key");
    }

    @Test
    void expiredCertificateIsRefusedOnBothSides() throws Exception {
        Issued root = root("E2E Root");
        Issued expiredB = issue("site-b.test", key(Key.ECDSA), root, false, "site-b.test", NOW.minus(30, ChronoUnit.DAYS),
                NOW.minus(1, ChronoUnit.DAYS));
        GatewayProcess gw = gatewayA(javaSide(TunnelSpec.Initiation.Passive, endEntity("site-a.test", Key.ECDSA, root), List.of(),
                root.cert(), "site-b.test"));
        StrongSwan swan = swanSide(Role.INITIATOR, expiredB, List.of(), root.cert(), "site-b.test", "site-a.test");
        assertTrue(swan.tryInitiate("lan-lan", Duration.ofSeconds(20)).exitCode() != 0, "strongSwan's initiate fails");
        JsonNode t = await(() -> withReason(gw, "expired"), "we refuse strongSwan's expired certificate");
        assertTrue(t.path("lastError").asText().contains("expired"), t.toString());
        gw.stop();
        swan.stop();
        Issued expiredA = issue("site-a.test", key(Key.ECDSA), root, false, "site-a.test", NOW.minus(30, ChronoUnit.DAYS),
                NOW.minus(1, ChronoUnit.DAYS));
        StrongSwan swan2 = refusedByStrongSwan(expiredA, root, "site-a.test", "strongSwan refuses our expired certificate");
        await(() -> Files.readString(swan2.logFile()).contains("subject certificate invalid") ? true : null, "strongSwan logs the expired certificate");
    }

    @Test
    void identityNotInTheCertificateIsRefusedOnBothSides() throws Exception {
        Issued root = root("E2E Root");
        // strongSwan claims an ID its certificate does not carry: charon falls back to the subject DN, we refuse.
        GatewayProcess gw = ourInitiator(endEntity("site-a.test", Key.ECDSA, root), root);
        StrongSwan swan = swanResponder(endEntity("elsewhere.test", Key.ECDSA, root), root, "site-a.test");
        JsonNode t = await(() -> withReason(gw, "id_mismatch"), "we refuse an identity the certificate does not bind");
        assertTrue(t.path("lastError").asText().contains("site-b.test"), t.toString());
        gw.stop();
        swan.stop();
        // strongSwan expects an identity that our certificate does not carry: it refuses ours.
        StrongSwan swan2 = refusedByStrongSwan(endEntity("site-a.test", Key.ECDSA, root), root, "someone-else.test",
                "strongSwan refuses our identity");
        assertTrue(swan2.listSas().stream().noneMatch(IkeSa::established));
    }

    @Test
    void largeChainCrossesA576BytePathInFragments() throws Exception {
        transitMtu(576);
        try {
            Issued root = root("E2E Root");
            List<X509Certificate> chainA = new ArrayList<>();
            Issued parent = root;
            for (int i = 1; i <= 3; i++) {
                parent = intermediate("E2E Intermediate " + i, parent, Key.RSA);
                chainA.addFirst(parent.cert());
            }
            Issued a = endEntity("site-a.test", Key.RSA, parent);
            GatewayConfig cfg = javaSide(TunnelSpec.Initiation.Start, a, chainA, root.cert(), "site-b.test");
            cfg.datapath.pathMtu = 576;
            StrongSwan swan = swanSide(Role.RESPONDER, endEntity("site-b.test", Key.ECDSA, root), List.of(), root.cert(),
                    "site-b.test", "site-a.test");
            GatewayProcess gw = gatewayA(cfg);
            await(() -> swan.listSas().stream().filter(x -> x.established() && !x.children().isEmpty()).findFirst()
                    .orElse(null), "IKE and Child SA up over the small path");
            assertTrue(Files.readString(swan.logFile()).contains("reassembled fragmented IKE message"), "strongSwan reassembled");
            assertTrue(!gw.metrics().contains("strait_ike_fragments_total{direction=\"sent\",gateway=\"standalone\"} 0.0"));
        } finally {
            transitMtu(1500);
        }
    }

    private void transitMtu(int mtu) {
        for (String[] side : List.of(new String[] {s.nsA(), s.transitA()}, new String[] {s.nsB(), s.transitB()})) {
            assertEquals(0, s.exec(side[0], "sh", "-c", "ip link set dev \"$(ip -o addr show to " + side[1]
                    + " | awk '{print $2}')\" mtu " + mtu).exitCode());
        }
    }

    private static JsonNode withReason(GatewayProcess gw, String reason) {
        JsonNode t = gw.status().path("tunnels").path(0);
        return reason.equals(t.path("lastErrorReason").asText()) ? t : null;
    }

    /** {@link Await#await} with its default timeout, under the name HybridKeIT calls. */
    static <T> T await(Await.Probe<T> probe, String what) {
        return Await.await(probe, what);
    }
}
