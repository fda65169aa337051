package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.NotifyType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strait.gateway.ike.message.Payload;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Both sides of a certificate IKE_AUTH through the engine-facing API, with two independent PKIs. */
class CertificateAuthenticationTest {
    private static final Clock CLOCK = Clock.fixed(TestPki.NOW, ZoneOffset.UTC);

    private static CertificateCredentials site(String host, KeyType type, X509Certificate peerRoot, KeyPair[] rootOut,
            X509Certificate[] rootCertOut) {
        KeyPair rootKey = TestPki.newKey(KeyType.ECDSA_P256);
        X509Certificate root = TestPki.cert("CN=" + host + " root", rootKey).ca().build();
        KeyPair eeKey = TestPki.key(type);
        X509Certificate ee = TestPki.cert("CN=" + host, eeKey).issuedBy(root, rootKey.getPrivate()).dns(host).build();
        rootOut[0] = rootKey;
        rootCertOut[0] = root;
        return new CertificateCredentials(List.of(ee), eeKey.getPrivate(), peerRoot == null ? List.of(root) : List.of(peerRoot), List.of());
    }

    @Test
    void initiatorAndResponderAuthenticateEachOther() throws Exception {
        KeyPair[] k = new KeyPair[1];
        X509Certificate[] rootA = new X509Certificate[1];
        X509Certificate[] rootB = new X509Certificate[1];
        CertificateCredentials a0 = site("a.example.com", KeyType.ED25519, null, k, rootA);
        CertificateCredentials b0 = site("b.example.com", KeyType.RSA, null, k, rootB);
        // each trusts the other's root
        CertificateCredentials a = new CertificateCredentials(a0.chain(), a0.privateKey(), List.of(rootB[0]), List.of());
        CertificateCredentials b = new CertificateCredentials(b0.chain(), b0.privateKey(), List.of(rootA[0]), List.of());
        var authA = new CertificateAuthentication(a, CLOCK, SignatureScheme.RsaPadding.PSS);
        var authB = new CertificateAuthentication(b, CLOCK, SignatureScheme.RsaPadding.PSS);

        // IKE_SA_INIT: both announce hashes
        Set<SignatureHash> fromA = SignatureHash.parseNotify(authA.signatureHashAlgorithmsNotify().data());
        Set<SignatureHash> fromB = SignatureHash.parseNotify(authB.signatureHashAlgorithmsNotify().data());
        assertEquals(NotifyType.SIGNATURE_HASH_ALGORITHMS, authA.signatureHashAlgorithmsNotify().notifyType());

        byte[] octetsA = "A: IKE_SA_INIT request | Nr | prf(SK_pi, IDi')".getBytes();
        byte[] octetsB = "B: IKE_SA_INIT response | Ni | prf(SK_pr, IDr')".getBytes();

        // initiator A -> B: CERT, CERTREQ, AUTH
        var ownA = authA.ownAuth(fromB, List.of(authB.certReq()), octetsA);
        assertEquals(SignatureScheme.ED25519, ownA.scheme());
        assertEquals(14, ownA.auth().method());
        var peerA = authB.verifyPeer(ownA.certificates(), Identity.parse("a.example.com"), ownA.auth(), octetsA);
        assertEquals(a.endEntity(), peerA.certificate());
        // responder B -> A
        var ownB = authB.ownAuth(fromA, List.of(authA.certReq()), octetsB);
        assertEquals(SignatureScheme.RSA_PSS_SHA512, ownB.scheme());
        assertEquals(b.endEntity(), authA.verifyPeer(ownB.certificates(), Identity.parse("b.example.com"), ownB.auth(), octetsB).certificate());

        // wrong octets (e.g. a MITM changed IKE_SA_INIT), wrong identity, wrong method
        assertEquals(AuthFailure.BAD_SIGNATURE, assertThrows(AuthenticationException.class,
                () -> authB.verifyPeer(ownA.certificates(), Identity.parse("a.example.com"), ownA.auth(), octetsB)).reason());
        assertEquals(AuthFailure.ID_MISMATCH, assertThrows(AuthenticationException.class,
                () -> authB.verifyPeer(ownA.certificates(), Identity.parse("b.example.com"), ownA.auth(), octetsA)).reason());
        assertEquals(AuthFailure.UNSUPPORTED_ALGORITHM, assertThrows(AuthenticationException.class,
                () -> authB.verifyPeer(ownA.certificates(), Identity.parse("a.example.com"), new Payload.Auth(1, ownA.auth().data()), octetsA)).reason());
        // A's own CA is not trusted by A: A would refuse itself
        assertEquals(AuthFailure.UNTRUSTED_CA, assertThrows(AuthenticationException.class,
                () -> authA.verifyPeer(ownA.certificates(), Identity.parse("a.example.com"), ownA.auth(), octetsA)).reason());
        // peer without Identity hash: Ed25519 cannot be used
        assertEquals(AuthFailure.UNSUPPORTED_ALGORITHM, assertThrows(AuthenticationException.class,
                () -> authA.ownAuth(Set.of(SignatureHash.SHA2_256), List.of(), octetsA)).reason());
    }
}
