package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.validation.ConfigException;
import dev.strait.gateway.ike.auth.KeyType;
import dev.strait.gateway.ike.auth.TestPki;
import dev.strait.gateway.testing.PskTunnels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Two engines on a {@link MemoryNetwork} authenticating with certificates (RFC 7427), both roles Java. */
class CertLoopbackTest {
    private static final Instant NOW = Instant.now();
    @RegisterExtension
    final MemoryEngines engines = new MemoryEngines();
    @TempDir
    Path dir;

    /** A CA and certificates issued under it, all valid around the real current time (the engine uses the system clock). */
    record Ca(X509Certificate cert, KeyPair key) {
        static Ca create(String name, KeyType type) {
            KeyPair k = TestPki.newKey(type);
            return new Ca(TestPki.cert("C=CH, O=Strait Loopback, CN=" + name, k).ca()
                    .validity(NOW.minus(1, ChronoUnit.DAYS), NOW.plus(30, ChronoUnit.DAYS)).build(), k);
        }

        X509Certificate issue(String dns, KeyPair k, Instant notAfter) {
            return TestPki.cert("C=CH, O=Strait Loopback, CN=" + dns, k).issuedBy(cert, key.getPrivate()).dns(dns)
                    .validity(NOW.minus(1, ChronoUnit.DAYS), notAfter).build();
        }
    }

    private TunnelSpec.Certificate files(String prefix, X509Certificate ee, KeyPair key, X509Certificate trusted) throws Exception {
        TunnelSpec.Certificate c = new TunnelSpec.Certificate();
        c.certFile = TestPki.write(dir, prefix + "-cert.pem", TestPki.pem(ee)).toString();
        c.keyFile = TestPki.write(dir, prefix + "-key.pem", TestPki.pkcs8Pem(key.getPrivate())).toString();
        c.caFile = TestPki.write(dir, prefix + "-ca.pem", TestPki.pem(trusted)).toString();
        return c;
    }

    private static TunnelConfig certTunnel(String peer, String localId, String peerId, String local, String remote,
            TunnelSpec.Initiation initiation, TunnelSpec.Certificate cert) {
        TunnelConfig t = PskTunnels.tunnel("t", peer, localId, peerId, local, remote, "aes256gcm16-prfsha384-x25519",
                "aes256gcm16", initiation, "unused-psk-0123456789abcdef");
        t.auth.psk = null;
        t.auth.certificate = cert;
        return t;
    }

    /** A's tunnel: it starts, towards B, as localId, and expects B to be peerId. */
    private static TunnelConfig initiator(String localId, String peerId, TunnelSpec.Certificate cert) {
        return certTunnel("127.0.0.2", localId, peerId, "10.10.0.0/24", "10.20.0.0/24", TunnelSpec.Initiation.Start, cert);
    }

    /** B's tunnel: b.test, waiting for a.test. */
    private static TunnelConfig responder(TunnelSpec.Certificate cert) {
        return certTunnel("127.0.0.1", "b.test", "a.test", "10.20.0.0/24", "10.10.0.0/24", TunnelSpec.Initiation.Passive, cert);
    }

    /**
     * A (its certificate issued by aIssuer, expecting B to be aExpects) and B (issued by ca) on the network, both
     * trusting ca only, the certificates valid for 20 days.
     */
    private Side[] pair(Ca ca, Ca aIssuer, String aExpects) throws Exception {
        KeyPair ka = TestPki.newKey(KeyType.ECDSA_P256);
        KeyPair kb = TestPki.newKey(KeyType.ECDSA_P256);
        Instant until = NOW.plus(20, ChronoUnit.DAYS);
        Side a = engines.start("127.0.0.1");
        Side b = engines.start("127.0.0.2");
        b.engine.apply(List.of(TunnelDefinition.from(responder(files("b", ca.issue("b.test", kb, until), kb, ca.cert)))));
        a.engine.apply(List.of(TunnelDefinition.from(initiator("a.test", aExpects,
                files("a", aIssuer.issue("a.test", ka, until), ka, ca.cert)))));
        return new Side[] {a, b};
    }

    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"RSA", "ECDSA_P256", "ED25519"})
    void establishesWithCertificatesOfEachKeyType(KeyType type) throws Exception {
        Ca ca = Ca.create("Loopback CA", KeyType.ECDSA_P256);
        KeyPair ka = TestPki.key(type);
        KeyPair kb = TestPki.newKey(KeyType.ECDSA_P256);
        Instant until = NOW.plus(20, ChronoUnit.DAYS);
        Side a = engines.start("127.0.0.1");
        Side b = engines.start("127.0.0.2");
        b.engine.apply(List.of(TunnelDefinition.from(responder(files("b", ca.issue("b.test", kb, until), kb, ca.cert)))));
        TunnelDefinition da = TunnelDefinition.from(initiator("a.test", "b.test",
                files("a", ca.issue("a.test", ka, until), ka, ca.cert)));
        assertEquals(until.getEpochSecond(), da.certificates().credentials().expiry().getEpochSecond());
        a.engine.apply(List.of(da));
        EngineLoopbackTest.await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1,
                "Child SAs on both sides, failures " + a.failures + " / " + b.failures);
        // the phase follows the datapath install on the SA's own executor: wait for it rather than race it
        EngineLoopbackTest.await(() -> "Established".equals(a.engine.snapshot().getFirst().phase())
                && "Established".equals(b.engine.snapshot().getFirst().phase()), "both tunnels Established");
    }

    @Test
    void untrustedCaIsRefusedWithAReason() throws Exception {
        Ca ca = Ca.create("Good CA", KeyType.ECDSA_P256);
        Ca rogue = Ca.create("Rogue CA", KeyType.ECDSA_P256);
        Side[] p = pair(ca, rogue, "b.test");
        Side a = p[0];
        Side b = p[1];
        EngineLoopbackTest.await(() -> "untrusted_ca".equals(b.failures.get("t")) && "peer_rejected".equals(a.failures.get("t")),
                "refusal on both sides, got " + a.failures + " / " + b.failures);
        assertTrue(b.engine.snapshot().getFirst().lastError().contains("untrusted_ca"), b.engine.snapshot().getFirst().lastError());
        assertTrue(a.datapath.installed.isEmpty() && b.datapath.installed.isEmpty());
    }

    @Test
    void responderCertificateNotNamingItsIdIsRefusedByTheInitiator() throws Exception {
        Ca ca = Ca.create("Good CA", KeyType.ECDSA_P256);
        // b's own config is consistent (b.test), but a expects b to be other.test; b's certificate does not say so.
        Side a = pair(ca, ca, "other.test")[0];
        EngineLoopbackTest.await(() -> a.failures.containsKey("t"), "initiator refusal, got " + a.failures);
        assertEquals("id_mismatch", a.failures.get("t"));
        assertTrue(a.datapath.installed.isEmpty());
    }

    @Test
    void configRefusesACertificateThatDoesNotCertifyLocalId() throws Exception {
        Ca ca = Ca.create("Good CA", KeyType.ECDSA_P256);
        KeyPair k = TestPki.newKey(KeyType.ECDSA_P256);
        TunnelSpec.Certificate files = files("x", ca.issue("someone-else.test", k, NOW.plus(5, ChronoUnit.DAYS)), k, ca.cert);
        ConfigException e = assertThrows(ConfigException.class,
                () -> TunnelDefinition.from(initiator("a.test", "b.test", files)));
        assertEquals("tunnels[t].auth.certificate.certFile", e.field());
        files.keyFile = null;
        ConfigException missing = assertThrows(ConfigException.class,
                () -> TunnelDefinition.from(initiator("someone-else.test", "b.test", files)));
        assertEquals("tunnels[t].auth.certificate.keyFile", missing.field());
    }

    @Test
    void renewedCertificateKeepsTheFingerprint() throws Exception {
        Ca ca = Ca.create("Good CA", KeyType.ECDSA_P256);
        KeyPair k = TestPki.newKey(KeyType.ECDSA_P256);
        TunnelSpec.Certificate files = files("r", ca.issue("a.test", k, NOW.plus(5, ChronoUnit.DAYS)), k, ca.cert);
        TunnelConfig cfg = initiator("a.test", "b.test", files);
        TunnelDefinition before = TunnelDefinition.from(cfg);
        Files.writeString(Path.of(files.certFile), TestPki.pem(ca.issue("a.test", k, NOW.plus(25, ChronoUnit.DAYS))));
        TunnelDefinition after = TunnelDefinition.from(cfg);
        assertEquals(before.fingerprint(), after.fingerprint());
        assertTrue(after.certificates().credentials().expiry().isAfter(before.certificates().credentials().expiry()));
    }

    @Test
    void renewedCertificateIsSwappedInWithoutTearingTheTunnelDown() throws Exception {
        Ca ca = Ca.create("Good CA", KeyType.ECDSA_P256);
        KeyPair ka = TestPki.newKey(KeyType.ECDSA_P256);
        KeyPair kb = TestPki.newKey(KeyType.ECDSA_P256);
        Side a = engines.start("127.0.0.1");
        Side b = engines.start("127.0.0.2");
        b.engine.apply(List.of(TunnelDefinition.from(
                responder(files("b", ca.issue("b.test", kb, NOW.plus(20, ChronoUnit.DAYS)), kb, ca.cert)))));
        TunnelSpec.Certificate filesA = files("a", ca.issue("a.test", ka, NOW.plus(5, ChronoUnit.DAYS)), ka, ca.cert);
        TunnelConfig cfgA = initiator("a.test", "b.test", filesA);
        a.engine.apply(List.of(TunnelDefinition.from(cfgA)));
        EngineLoopbackTest.await(() -> a.datapath.installed.size() == 1, "tunnel up");
        Integer spi = a.datapath.installed.keySet().iterator().next();
        Files.writeString(Path.of(filesA.certFile), TestPki.pem(ca.issue("a.test", ka, NOW.plus(25, ChronoUnit.DAYS))));
        TunnelDefinition renewed = TunnelDefinition.from(cfgA);
        a.engine.apply(List.of(renewed));
        engines.elapse(Duration.ofSeconds(2));
        assertEquals(List.of(spi), List.copyOf(a.datapath.installed.keySet()), "the running Child SA stays");
        assertEquals(1, a.datapath.events.size(), "nothing removed or re-installed: " + a.datapath.events);
        assertTrue(a.engine.currentSa("t").tunnel().definition().certificates() == renewed.certificates(),
                "new IKE SAs use the renewed certificate");
    }
}
