package dev.strait.gateway.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.message.Payload;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.x509.Certificate;
import org.junit.jupiter.api.Test;

class CertificateRequestsTest {
    @Test
    void certReqNamesEachTrustAnchorBySha1OfItsSubjectPublicKeyInfo() throws Exception {
        TestPki.Chain a = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        TestPki.Chain b = TestPki.chain(KeyType.ED25519, KeyType.ED25519, UnaryOperator.identity());
        byte[] data = CertificateRequests.certReqData(List.of(a.root(), b.root()));
        assertEquals(40, data.length);
        // SPKI taken from the certificate's own DER by an independent parser
        byte[] spki = Certificate.getInstance(a.root().getEncoded()).getSubjectPublicKeyInfo().getEncoded();
        assertArrayEquals(MessageDigest.getInstance("SHA-1").digest(spki), java.util.Arrays.copyOf(data, 20));
        Payload.CertReq p = CertificateRequests.certReq(List.of(a.root()));
        assertEquals(4, p.encoding());
        assertEquals(2, CertificateRequests.parseCertReqData(data).size());
        assertThrows(IllegalArgumentException.class, () -> CertificateRequests.parseCertReqData(new byte[21]));
        assertTrue(CertificateRequests.requestsAnyOf(CertificateRequests.parseCertReqData(data), List.of(b.root())));
    }

    @Test
    void sendsEndEntityAndIntermediatesButNotRootsAndStopsAtARequestedCa() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        var chain = List.of(c.endEntity(), c.intermediate(), c.root());
        assertEquals(List.of(c.endEntity(), c.intermediate()), CertificateRequests.certificatesToSend(chain, List.of()));
        // peer asked for the root: the intermediate is still needed
        var askRoot = CertificateRequests.requestedAuthorities(List.of(CertificateRequests.certReq(List.of(c.root()))));
        assertEquals(List.of(c.endEntity(), c.intermediate()), CertificateRequests.certificatesToSend(chain, askRoot));
        // peer trusts the intermediate directly: the end entity suffices
        var askInt = CertificateRequests.requestedAuthorities(List.of(
                new Payload.CertReq(4, CertificateRequests.keyHash(c.intermediate())),
                new Payload.CertReq(4, new byte[7]))); // malformed one skipped
        assertEquals(List.of(c.endEntity()), CertificateRequests.certificatesToSend(chain, askInt));
        List<Payload.Cert> payloads = CertificateRequests.certPayloads(chain, List.of());
        assertEquals(2, payloads.size());
        assertArrayEquals(c.endEntity().getEncoded(), payloads.getFirst().data());
        assertFalse(CertificateRequests.requestsAnyOf(askInt, List.of(c.root())));
    }
}
