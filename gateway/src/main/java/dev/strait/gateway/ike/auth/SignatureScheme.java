package dev.strait.gateway.ike.auth;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A signature algorithm of the Digital Signature AUTH method (RFC 7427) together with the exact AlgorithmIdentifier
 * DER we send. The RSA PKCS#1, ECDSA and RSASSA-PSS/SHA-256 encodings are those of RFC 7427 appendix A; PSS with
 * SHA-384/512 follows the same pattern (hash and MGF1 hash replaced, salt = hash length); Ed25519 is RFC 8420.
 */
public enum SignatureScheme {
    RSA_PKCS1_SHA256(KeyType.RSA, SignatureHash.SHA2_256, "300d06092a864886f70d01010b0500"),
    RSA_PKCS1_SHA384(KeyType.RSA, SignatureHash.SHA2_384, "300d06092a864886f70d01010c0500"),
    RSA_PKCS1_SHA512(KeyType.RSA, SignatureHash.SHA2_512, "300d06092a864886f70d01010d0500"),
    RSA_PSS_SHA256(KeyType.RSA, SignatureHash.SHA2_256, pss("01", "20")),
    RSA_PSS_SHA384(KeyType.RSA, SignatureHash.SHA2_384, pss("02", "30")),
    RSA_PSS_SHA512(KeyType.RSA, SignatureHash.SHA2_512, pss("03", "40")),
    /** ECDSA schemes fit every supported curve; {@link #choose} prefers the curve's own hash. */
    ECDSA_SHA256(null, SignatureHash.SHA2_256, "300a06082a8648ce3d040302"),
    ECDSA_SHA384(null, SignatureHash.SHA2_384, "300a06082a8648ce3d040303"),
    ECDSA_SHA512(null, SignatureHash.SHA2_512, "300a06082a8648ce3d040304"),
    ED25519(KeyType.ED25519, SignatureHash.IDENTITY, "300506032b6570");

    /** RSA signatures: PSS is what RFC 8247 recommends; PKCS#1 v1.5 for peers that cannot verify PSS. */
    public enum RsaPadding { PSS, PKCS1 }

    private final KeyType keyType;
    private final SignatureHash hash;
    private final byte[] algorithmIdentifier;

    SignatureScheme(KeyType keyType, SignatureHash hash, String der) {
        this.keyType = keyType;
        this.hash = hash;
        this.algorithmIdentifier = HexFormat.of().parseHex(der);
    }

    // RSASSA-PSS-params {hashAlgorithm [0], maskGenAlgorithm [1] MGF1(hash), saltLength [2]}, trailerField default.
    private static String pss(String hashOidLastByte, String saltHex) {
        String hashAlg = "300d06096086480165030402" + hashOidLastByte + "0500";
        return "3041" + "06092a864886f70d01010a" + "3034"
                + "a00f" + hashAlg
                + "a11c" + "301a" + "06092a864886f70d010108" + hashAlg
                + "a203" + "0201" + saltHex;
    }

    public SignatureHash hash() {
        return hash;
    }

    /** The AlgorithmIdentifier DER (a copy). */
    public byte[] algorithmIdentifier() {
        return algorithmIdentifier.clone();
    }

    boolean sameAlgorithmIdentifier(byte[] der, int off, int len) {
        return len == algorithmIdentifier.length
                && java.util.Arrays.equals(algorithmIdentifier, 0, len, der, off, off + len);
    }

    public boolean isRsa() {
        return keyType == KeyType.RSA;
    }

    public boolean isPss() {
        return this == RSA_PSS_SHA256 || this == RSA_PSS_SHA384 || this == RSA_PSS_SHA512;
    }

    public boolean isEcdsa() {
        return this == ECDSA_SHA256 || this == ECDSA_SHA384 || this == ECDSA_SHA512;
    }

    /** Whether a key of this kind can make or check this signature. */
    public boolean fits(KeyType key) {
        return isEcdsa() ? key.isEcdsa() : keyType == key;
    }

    /**
     * The scheme to sign with: for RSA the strongest SHA-2 both sides support; for ECDSA the curve's own hash if the
     * peer supports it, else the strongest common one; Ed25519 needs the peer to announce Identity. Empty when the
     * peer announced nothing usable (then the Digital Signature method cannot be used with this key).
     */
    public static Optional<SignatureScheme> choose(KeyType key, Set<SignatureHash> peerHashes, RsaPadding padding) {
        if (key == KeyType.ED25519) {
            return peerHashes.contains(SignatureHash.IDENTITY) ? Optional.of(ED25519) : Optional.empty();
        }
        List<SignatureHash> common = SignatureHash.strongestFirst(peerHashes);
        if (common.isEmpty()) {
            return Optional.empty();
        }
        SignatureHash h = key.isEcdsa() && common.contains(key.curveHash()) ? key.curveHash() : common.getFirst();
        for (SignatureScheme s : values()) {
            if (s.hash == h && s.fits(key) && (!s.isRsa() || s.isPss() == (padding == RsaPadding.PSS))) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
