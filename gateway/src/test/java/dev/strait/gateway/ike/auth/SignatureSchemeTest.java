package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.NotifyType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.junit.jupiter.api.Test;

class SignatureSchemeTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /** RFC 7427 appendix A.1.3-A.1.5, A.3.2-A.3.4, A.4.3; RFC 8420 section 2 (id-Ed25519, no parameters). */
    @Test
    void algorithmIdentifiersAreTheRfcBytes() {
        assertArrayEquals(hex("30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00"), SignatureScheme.RSA_PKCS1_SHA256.algorithmIdentifier());
        assertArrayEquals(hex("30 0d 06 09 2a 86 48 86 f7 0d 01 01 0c 05 00"), SignatureScheme.RSA_PKCS1_SHA384.algorithmIdentifier());
        assertArrayEquals(hex("30 0d 06 09 2a 86 48 86 f7 0d 01 01 0d 05 00"), SignatureScheme.RSA_PKCS1_SHA512.algorithmIdentifier());
        assertArrayEquals(hex("30 0a 06 08 2a 86 48 ce 3d 04 03 02"), SignatureScheme.ECDSA_SHA256.algorithmIdentifier());
        assertArrayEquals(hex("30 0a 06 08 2a 86 48 ce 3d 04 03 03"), SignatureScheme.ECDSA_SHA384.algorithmIdentifier());
        assertArrayEquals(hex("30 0a 06 08 2a 86 48 ce 3d 04 03 04"), SignatureScheme.ECDSA_SHA512.algorithmIdentifier());
        assertArrayEquals(hex("3041 0609 2a86 4886 f70d 0101 0a30 34a0 0f30 0d06 0960 8648 0165 0304 0201 0500"
                + "a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203 0201 20"),
                SignatureScheme.RSA_PSS_SHA256.algorithmIdentifier());
        assertEquals(67, SignatureScheme.RSA_PSS_SHA256.algorithmIdentifier().length);
        assertArrayEquals(hex("30 05 06 03 2b 65 70"), SignatureScheme.ED25519.algorithmIdentifier());
    }

    /** PSS-384/512 are not listed in RFC 7427: check them against BouncyCastle's own DER of RSASSA-PSS-params. */
    @Test
    void pssWithSha384And512MatchAnIndependentDerEncoding() throws Exception {
        for (var c : List.of(
                new Object[] {SignatureScheme.RSA_PSS_SHA256, NISTObjectIdentifiers.id_sha256, 32},
                new Object[] {SignatureScheme.RSA_PSS_SHA384, NISTObjectIdentifiers.id_sha384, 48},
                new Object[] {SignatureScheme.RSA_PSS_SHA512, NISTObjectIdentifiers.id_sha512, 64})) {
            AlgorithmIdentifier hash = new AlgorithmIdentifier((org.bouncycastle.asn1.ASN1ObjectIdentifier) c[1], DERNull.INSTANCE);
            RSASSAPSSparams params = new RSASSAPSSparams(hash, new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, hash),
                    new ASN1Integer((Integer) c[2]), RSASSAPSSparams.DEFAULT_TRAILER_FIELD);
            byte[] der = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSASSA_PSS, params).getEncoded(ASN1Encoding.DER);
            assertArrayEquals(der, ((SignatureScheme) c[0]).algorithmIdentifier(), c[0].toString());
        }
    }

    @Test
    void choosesTheStrongestCommonHashForTheKey() {
        Set<SignatureHash> all = EnumSet.of(SignatureHash.SHA2_256, SignatureHash.SHA2_384, SignatureHash.SHA2_512, SignatureHash.IDENTITY);
        var pss = SignatureScheme.RsaPadding.PSS;
        assertEquals(Optional.of(SignatureScheme.RSA_PSS_SHA512), SignatureScheme.choose(KeyType.RSA, all, pss));
        assertEquals(Optional.of(SignatureScheme.RSA_PKCS1_SHA384), SignatureScheme.choose(KeyType.RSA,
                EnumSet.of(SignatureHash.SHA2_256, SignatureHash.SHA2_384), SignatureScheme.RsaPadding.PKCS1));
        assertEquals(Optional.of(SignatureScheme.ECDSA_SHA256), SignatureScheme.choose(KeyType.ECDSA_P256, all, pss));
        assertEquals(Optional.of(SignatureScheme.ECDSA_SHA384), SignatureScheme.choose(KeyType.ECDSA_P384, all, pss));
        assertEquals(Optional.of(SignatureScheme.ECDSA_SHA512), SignatureScheme.choose(KeyType.ECDSA_P521, all, pss));
        // curve hash missing at the peer: strongest the peer has
        assertEquals(Optional.of(SignatureScheme.ECDSA_SHA256), SignatureScheme.choose(KeyType.ECDSA_P384,
                EnumSet.of(SignatureHash.SHA2_256), pss));
        assertEquals(Optional.of(SignatureScheme.ED25519), SignatureScheme.choose(KeyType.ED25519, all, pss));
        assertEquals(Optional.empty(), SignatureScheme.choose(KeyType.ED25519, EnumSet.of(SignatureHash.SHA2_512), pss));
        // SHA-1 only, or nothing: no scheme
        assertEquals(Optional.empty(), SignatureScheme.choose(KeyType.RSA, EnumSet.of(SignatureHash.SHA1), pss));
        assertEquals(Optional.empty(), SignatureScheme.choose(KeyType.ECDSA_P256, Set.of(), pss));
    }

    @Test
    void signatureHashNotifyRoundTripsAndSkipsUnknownIds() {
        byte[] data = SignatureHash.encodeNotify(SignatureHash.SUPPORTED);
        assertArrayEquals(hex("0004 0003 0002 0005"), data);
        assertEquals(EnumSet.copyOf(SignatureHash.SUPPORTED), SignatureHash.parseNotify(data));
        // strongSwan 5.9 sends 1..5 plus 6 (SHA3?) style future IDs; unknown ones are ignored
        assertEquals(EnumSet.of(SignatureHash.SHA1, SignatureHash.SHA2_256, SignatureHash.IDENTITY),
                SignatureHash.parseNotify(hex("0001 0002 0005 0007 ffff")));
        assertThrows(IllegalArgumentException.class, () -> SignatureHash.parseNotify(hex("000203")));
        assertTrue(SignatureHash.parseNotify(new byte[0]).isEmpty());
        assertEquals(16431, NotifyType.SIGNATURE_HASH_ALGORITHMS);
    }
}
