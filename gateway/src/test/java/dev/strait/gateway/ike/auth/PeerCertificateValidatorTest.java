package dev.strait.gateway.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.message.Payload;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PeerCertificateValidatorTest {
    private static final Clock CLOCK = Clock.fixed(TestPki.NOW, ZoneOffset.UTC);
    private static final Identity GW = Identity.parse("gw.example.com");

    private static PeerCertificateValidator validator(TestPki.Chain c, X509CRL... crls) {
        return new PeerCertificateValidator(List.of(c.root()), List.of(crls), CLOCK);
    }

    private static AuthFailure refusal(PeerCertificateValidator v, List<byte[]> sent, Identity id) {
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> v.validate(sent, id));
        assertTrue(e.getMessage().startsWith(e.reason().label() + ": "), e.getMessage());
        return e.reason();
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void validChainRootIntermediateEndEntityForEachKeyType(KeyType type) throws Exception {
        TestPki.Chain c = TestPki.chain(type == KeyType.RSA ? KeyType.RSA : type, type,
                cert -> cert.keyUsage(KeyUsage.digitalSignature));
        var peer = validator(c).validate(c.sent(), GW);
        assertEquals(c.endEntity(), peer.certificate());
        assertEquals(List.of(c.endEntity(), c.intermediate()), peer.path());
        assertEquals(c.endEntityKey().getPublic(), peer.publicKey());

        // and the whole IKE_AUTH check: the key from the validated certificate verifies the peer's AUTH
        byte[] octets = "octets".getBytes();
        SignatureAuthenticator signer = new SignatureAuthenticator(c.endEntityKey().getPrivate());
        SignatureScheme scheme = signer.choose(java.util.Set.copyOf(SignatureHash.SUPPORTED)).orElseThrow();
        assertEquals(scheme, SignatureAuthenticator.verify(octets, signer.sign(scheme, octets), peer.publicKey()));
    }

    @Test
    void intermediatesInAnyOrderAndFromCertPayloads() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        List<Payload.Cert> payloads = List.of(
                new Payload.Cert(4, c.endEntity().getEncoded()),
                new Payload.Cert(12, new byte[] {1, 2, 3}), // hash-and-URL: ignored
                new Payload.Cert(4, c.root().getEncoded()),  // extra root: harmless
                new Payload.Cert(4, c.intermediate().getEncoded()));
        assertEquals(c.endEntity(), validator(c).validatePayloads(payloads, GW).certificate());
    }

    @Test
    void missingIntermediateOrForeignCaIsUntrusted() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        assertEquals(AuthFailure.UNTRUSTED_CA, refusal(validator(c), List.of(c.endEntity().getEncoded()), GW));
        TestPki.Chain other = TestPki.chain(KeyType.ED25519, KeyType.ED25519, UnaryOperator.identity());
        assertEquals(AuthFailure.UNTRUSTED_CA, refusal(validator(c), other.sent(), GW));
        // same root name, different root key: still untrusted
        KeyPair evilKey = TestPki.newKey(KeyType.ECDSA_P256);
        X509Certificate evilRoot = TestPki.cert(c.root().getSubjectX500Principal().getName(), evilKey).ca().build();
        X509Certificate evilEe = TestPki.cert("CN=gw.example.com", TestPki.key(KeyType.ECDSA_P256))
                .issuedBy(evilRoot, evilKey.getPrivate()).dns("gw.example.com").build();
        assertEquals(AuthFailure.UNTRUSTED_CA, refusal(validator(c), List.of(evilEe.getEncoded()), GW));
    }

    @Test
    void expiredAndNotYetValid() {
        TestPki.Chain expired = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256,
                cert -> cert.validity(TestPki.NOW.minus(30, ChronoUnit.DAYS), TestPki.NOW.minus(1, ChronoUnit.SECONDS)));
        assertEquals(AuthFailure.EXPIRED, refusal(validator(expired), expired.sent(), GW));
        TestPki.Chain future = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256,
                cert -> cert.validity(TestPki.NOW.plus(1, ChronoUnit.HOURS), TestPki.NOW.plus(30, ChronoUnit.DAYS)));
        assertEquals(AuthFailure.NOT_YET_VALID, refusal(validator(future), future.sent(), GW));
        // the same certificate is fine once the (injected) clock has moved on
        var later = new PeerCertificateValidator(List.of(future.root()), List.of(), Clock.offset(CLOCK, Duration.ofDays(2)));
        assertTrue(assertDoesNotThrow(() -> later.validate(future.sent(), GW)) != null);
    }

    private static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(s);
    }

    @Test
    void identityMustBeSubjectOrMatchingSubjectAltName() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ED25519, KeyType.ED25519,
                cert -> cert.email("vpn@example.com").ip("198.51.100.7").ip("2001:db8::7"));
        var v = validator(c);
        for (String ok : List.of("gw.example.com", "GW.Example.COM", "vpn@example.com", "198.51.100.7", "2001:db8::7",
                "C=CH, O=Strait Test, CN=gw.example.com")) {
            assertEquals(c.endEntity(), v.validate(c.sent(), Identity.parse(ok)).certificate(), ok);
        }
        for (String bad : List.of("other.example.com", "example.com", "evil@example.com", "198.51.100.8",
                "C=CH, O=Strait Test, CN=other", "CN=gw.example.com, O=Strait Test, C=CH")) {
            assertEquals(AuthFailure.ID_MISMATCH, refusal(v, c.sent(), Identity.parse(bad)), bad);
        }
        // the FQDN from the CN alone is not enough: only subjectAltName dNSName binds an FQDN
        TestPki.Chain noSan = TestPki.chain(KeyType.ED25519, KeyType.ED25519, cert -> {
            cert.sans.clear();
            return cert;
        });
        assertEquals(AuthFailure.ID_MISMATCH, refusal(validator(noSan), noSan.sent(), GW));
        assertEquals(AuthFailure.ID_MISMATCH, refusal(v, c.sent(), new Identity(Payload.Identification.ID_KEY_ID, new byte[] {1})));
    }

    @Test
    void keyUsageWithoutDigitalSignatureIsRefused() {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P384, KeyType.ECDSA_P384, cert -> cert.keyUsage(KeyUsage.keyEncipherment));
        assertEquals(AuthFailure.KEY_USAGE, refusal(validator(c), c.sent(), GW));
    }

    @Test
    void revokedByCrlOfTheIntermediate() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        X509CRL revoking = TestPki.crl(c.intermediate(), c.intermediateKey().getPrivate(), c.endEntity());
        assertEquals(AuthFailure.REVOKED, refusal(validator(c, revoking), c.sent(), GW));
        // a CRL that lists someone else, or a forged CRL (wrong signer), revokes nothing
        TestPki.Chain other = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        X509CRL unrelated = TestPki.crl(c.intermediate(), c.intermediateKey().getPrivate(), other.endEntity());
        X509CRL forged = TestPki.crl(c.intermediate(), other.intermediateKey().getPrivate(), c.endEntity());
        assertEquals(c.endEntity(), validator(c, unrelated, forged).validate(c.sent(), GW).certificate());
        // the root's CRL revoking the intermediate
        X509CRL rootCrl = TestPki.crl(c.root(), c.rootKey().getPrivate(), c.intermediate());
        assertEquals(AuthFailure.REVOKED, refusal(validator(c, rootCrl), c.sent(), GW));
    }

    @Test
    void forgedSignatureUnderTheRightIssuerNameIsBadSignature() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        KeyPair impostor = TestPki.newKey(KeyType.ECDSA_P256);
        X509Certificate forged = TestPki.cert("CN=gw.example.com", TestPki.key(KeyType.ECDSA_P256))
                .issuedBy(c.intermediate(), impostor.getPrivate()).dns("gw.example.com").build();
        assertEquals(AuthFailure.BAD_SIGNATURE, refusal(validator(c), List.of(forged.getEncoded(), c.intermediate().getEncoded()), GW));
    }

    @Test
    void garbageAndEmptyInputAreMalformed() {
        TestPki.Chain c = TestPki.chain(KeyType.ED25519, KeyType.ED25519, UnaryOperator.identity());
        assertEquals(AuthFailure.MALFORMED, refusal(validator(c), List.of(), GW));
        assertEquals(AuthFailure.MALFORMED, refusal(validator(c), List.of(new byte[] {0x30, 0x03, 1, 2, 3}), GW));
        assertEquals(AuthFailure.MALFORMED, refusal(validator(c), List.of(new byte[0]), GW));
    }

    @Test
    void pinnedSelfSignedPeerCertificate() throws Exception {
        KeyPair k = TestPki.key(KeyType.ED25519);
        X509Certificate self = TestPki.cert("CN=peer", k).dns("peer.example.com").build();
        var v = new PeerCertificateValidator(List.of(self), List.of(), CLOCK);
        assertEquals(self, v.validate(List.of(self.getEncoded()), Identity.parse("peer.example.com")).certificate());
        var late = new PeerCertificateValidator(List.of(self), List.of(), Clock.offset(CLOCK, Duration.ofDays(400)));
        assertEquals(AuthFailure.EXPIRED, refusal(late, List.of(self.getEncoded()), Identity.parse("peer.example.com")));
    }
}
