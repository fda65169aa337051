package dev.strait.gateway.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SignatureAuthenticatorTest {
    private static final byte[] OCTETS = "IKE_SA_INIT request | Nr | prf(SK_pi, IDi')".getBytes(StandardCharsets.US_ASCII);

    private static KeyType keyFor(SignatureScheme s) {
        return switch (s) {
            case ECDSA_SHA256 -> KeyType.ECDSA_P256;
            case ECDSA_SHA384 -> KeyType.ECDSA_P384;
            case ECDSA_SHA512 -> KeyType.ECDSA_P521;
            case ED25519 -> KeyType.ED25519;
            default -> KeyType.RSA;
        };
    }

    @ParameterizedTest
    @EnumSource(SignatureScheme.class)
    void signVerifyRoundTripAndLayout(SignatureScheme scheme) throws Exception {
        KeyPair kp = TestPki.key(keyFor(scheme));
        byte[] auth = new SignatureAuthenticator(kp.getPrivate()).sign(scheme, OCTETS);
        byte[] algId = scheme.algorithmIdentifier();
        assertEquals(algId.length, auth[0] & 0xff);
        assertArrayEquals(algId, Arrays.copyOfRange(auth, 1, 1 + algId.length));
        assertEquals(scheme, SignatureAuthenticator.verify(OCTETS, auth, kp.getPublic()));

        // the signature itself verifies with an independent implementation (JCA, or BC provider for PSS)
        byte[] sig = Arrays.copyOfRange(auth, 1 + algId.length, auth.length);
        assertTrue(independentVerify(scheme, kp, sig), "independent verification of " + scheme);
    }

    private static boolean independentVerify(SignatureScheme scheme, KeyPair kp, byte[] sig) throws Exception {
        Signature v;
        if (scheme.isPss()) {
            v = Signature.getInstance("RSASSA-PSS", TestPki.BC);
            String md = switch (scheme.hash()) {
                case SHA2_256 -> "SHA-256";
                case SHA2_384 -> "SHA-384";
                default -> "SHA-512";
            };
            v.setParameter(new PSSParameterSpec(md, "MGF1", new MGF1ParameterSpec(md), scheme.hash().length(), 1));
        } else {
            v = Signature.getInstance(switch (scheme) {
                case RSA_PKCS1_SHA256 -> "SHA256withRSA";
                case RSA_PKCS1_SHA384 -> "SHA384withRSA";
                case RSA_PKCS1_SHA512 -> "SHA512withRSA";
                case ECDSA_SHA256 -> "SHA256withECDSA"; // JCA expects the DER ECDSA-Sig-Value, as RFC 7427 does
                case ECDSA_SHA384 -> "SHA384withECDSA";
                case ECDSA_SHA512 -> "SHA512withECDSA";
                default -> "Ed25519";
            });
        }
        v.initVerify(kp.getPublic());
        v.update(OCTETS);
        return v.verify(sig);
    }

    @ParameterizedTest
    @EnumSource(SignatureScheme.class)
    void tamperingIsDetected(SignatureScheme scheme) {
        KeyPair kp = TestPki.key(keyFor(scheme));
        byte[] auth = new SignatureAuthenticator(kp.getPrivate()).sign(scheme, OCTETS);
        byte[] otherOctets = OCTETS.clone();
        otherOctets[3] ^= 1;
        assertEquals(AuthFailure.BAD_SIGNATURE,
                assertThrows(AuthenticationException.class, () -> SignatureAuthenticator.verify(otherOctets, auth, kp.getPublic())).reason());
        byte[] badSig = auth.clone();
        badSig[badSig.length - 5] ^= 0x40;
        assertEquals(AuthFailure.BAD_SIGNATURE,
                assertThrows(AuthenticationException.class, () -> SignatureAuthenticator.verify(OCTETS, badSig, kp.getPublic())).reason());
        KeyPair other = TestPki.newKey(keyFor(scheme) == KeyType.RSA ? KeyType.ED25519 : keyFor(scheme));
        if (keyFor(scheme) != KeyType.RSA) {
            assertEquals(AuthFailure.BAD_SIGNATURE, assertThrows(AuthenticationException.class,
                    () -> SignatureAuthenticator.verify(OCTETS, auth, other.getPublic())).reason());
        }
    }

    @Test
    void sha1AndDefaultPssParametersAreRefused() {
        KeyPair rsa = TestPki.key(KeyType.RSA);
        byte[] sha1Rsa = HexFormat.of().parseHex("300d06092a864886f70d0101050500"); // RFC 7427 A.1.2 sha1WithRSAEncryption
        byte[] sha1Ecdsa = HexFormat.of().parseHex("300906072a8648ce3d0401");      // A.3.1 ecdsa-with-sha1
        byte[] pssDefault = HexFormat.of().parseHex("300d06092a864886f70d01010a3000"); // A.4.2 default parameters = SHA-1
        byte[] pssEmpty = HexFormat.of().parseHex("300b06092a864886f70d01010a");       // A.4.1 empty parameters
        for (byte[] alg : new byte[][] {sha1Rsa, sha1Ecdsa, pssDefault, pssEmpty}) {
            AuthenticationException e = assertThrows(AuthenticationException.class,
                    () -> SignatureAuthenticator.verify(OCTETS, withAlg(alg, new byte[384]), rsa.getPublic()));
            assertEquals(AuthFailure.UNSUPPORTED_ALGORITHM, e.reason(), e.getMessage());
        }
    }

    @Test
    void algorithmThatDoesNotFitTheKeyIsRefused() {
        KeyPair ec = TestPki.key(KeyType.ECDSA_P256);
        KeyPair rsa = TestPki.key(KeyType.RSA);
        byte[] ecdsaAuth = new SignatureAuthenticator(ec.getPrivate()).sign(SignatureScheme.ECDSA_SHA256, OCTETS);
        assertEquals(AuthFailure.UNSUPPORTED_ALGORITHM, assertThrows(AuthenticationException.class,
                () -> SignatureAuthenticator.verify(OCTETS, ecdsaAuth, rsa.getPublic())).reason());
        byte[] edAuth = new SignatureAuthenticator(TestPki.key(KeyType.ED25519).getPrivate()).sign(SignatureScheme.ED25519, OCTETS);
        assertEquals(AuthFailure.UNSUPPORTED_ALGORITHM, assertThrows(AuthenticationException.class,
                () -> SignatureAuthenticator.verify(OCTETS, edAuth, ec.getPublic())).reason());
        assertThrows(IllegalArgumentException.class,
                () -> new SignatureAuthenticator(rsa.getPrivate()).sign(SignatureScheme.ECDSA_SHA256, OCTETS));
    }

    @Test
    void lenientEncodingsOfSupportedAlgorithmsStillVerify() throws Exception {
        // PKCS#1 with the NULL parameters left out, and PSS with another salt length (both seen in the wild)
        KeyPair rsa = TestPki.key(KeyType.RSA);
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(rsa.getPrivate());
        s.update(OCTETS);
        byte[] noNull = HexFormat.of().parseHex("300b06092a864886f70d01010b");
        assertEquals(SignatureScheme.RSA_PKCS1_SHA256, SignatureAuthenticator.verify(OCTETS, withAlg(noNull, s.sign()), rsa.getPublic()));

        Signature p = Signature.getInstance("RSASSA-PSS");
        p.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 20, 1));
        p.initSign(rsa.getPrivate());
        p.update(OCTETS);
        byte[] salt20 = SignatureScheme.RSA_PSS_SHA256.algorithmIdentifier();
        salt20[salt20.length - 1] = 20;
        assertEquals(SignatureScheme.RSA_PSS_SHA256, SignatureAuthenticator.verify(OCTETS, withAlg(salt20, p.sign()), rsa.getPublic()));
    }

    @Test
    void malformedAuthDataIsRejectedNotThrownThrough() {
        var key = TestPki.key(KeyType.ED25519).getPublic();
        for (byte[] bad : new byte[][] {{}, {0}, {7, 0x30}, {(byte) 200, 1, 2, 3}, {3, 0x30, 0x01, 0x05, 9, 9},
                withAlg(HexFormat.of().parseHex("300506032b6571"), new byte[64])}) { // Ed448 unsupported
            AuthenticationException e = assertThrows(AuthenticationException.class, () -> SignatureAuthenticator.verify(OCTETS, bad, key));
            assertTrue(e.reason() == AuthFailure.MALFORMED || e.reason() == AuthFailure.UNSUPPORTED_ALGORITHM, e.getMessage());
        }
        // non-DER ECDSA signature (BER long-form length) is refused as a bad signature
        KeyPair ec = TestPki.key(KeyType.ECDSA_P256);
        byte[] auth = new SignatureAuthenticator(ec.getPrivate()).sign(SignatureScheme.ECDSA_SHA256, OCTETS);
        int sigOff = 1 + (auth[0] & 0xff);
        byte[] sig = Arrays.copyOfRange(auth, sigOff, auth.length);
        byte[] ber = new byte[sig.length + 1];
        ber[0] = 0x30;
        ber[1] = (byte) 0x81;
        System.arraycopy(sig, 1, ber, 2, sig.length - 1);
        assertEquals(AuthFailure.BAD_SIGNATURE, assertThrows(AuthenticationException.class,
                () -> SignatureAuthenticator.verify(OCTETS, withAlg(SignatureScheme.ECDSA_SHA256.algorithmIdentifier(), ber), ec.getPublic())).reason());
    }

    @Test
    void chooseFollowsThePeersAnnouncement() {
        var rsa = new SignatureAuthenticator(TestPki.key(KeyType.RSA).getPrivate());
        assertEquals(SignatureScheme.RSA_PSS_SHA384, rsa.choose(EnumSet.of(SignatureHash.SHA2_256, SignatureHash.SHA2_384)).orElseThrow());
        var rsa15 = new SignatureAuthenticator(TestPki.key(KeyType.RSA).getPrivate(), SignatureScheme.RsaPadding.PKCS1);
        assertEquals(SignatureScheme.RSA_PKCS1_SHA256, rsa15.choose(EnumSet.of(SignatureHash.SHA2_256)).orElseThrow());
    }

    static byte[] withAlg(byte[] alg, byte[] sig) {
        byte[] out = new byte[1 + alg.length + sig.length];
        out[0] = (byte) alg.length;
        System.arraycopy(alg, 0, out, 1, alg.length);
        System.arraycopy(sig, 0, out, 1 + alg.length, sig.length);
        return out;
    }
}
