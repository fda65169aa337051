package dev.strait.gateway.ike.auth;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;

/**
 * The Digital Signature AUTH method (RFC 7427, method 14): AUTH data = length of the AlgorithmIdentifier (1 byte),
 * the AlgorithmIdentifier DER, then the signature over the octets of RFC 7296 section 2.15
 * ({@link AuthOctets#signedOctets} builds them for both methods).
 *
 * <p>Ed25519 and ECDSA use BouncyCastle's lightweight API (several times faster than the JDK here), RSA uses JCA.
 * ECDSA nonces are deterministic (RFC 6979) so a weak RNG cannot leak the key. Instances are thread-safe.
 */
public final class SignatureAuthenticator {

    private final KeyType keyType;
    private final SignatureScheme.RsaPadding rsaPadding;
    private final PrivateKey jcaKey;               // RSA
    private final AsymmetricKeyParameter bcKey;    // ECDSA, Ed25519

    public SignatureAuthenticator(PrivateKey privateKey) {
        this(privateKey, SignatureScheme.RsaPadding.PSS);
    }

    public SignatureAuthenticator(PrivateKey privateKey, SignatureScheme.RsaPadding rsaPadding) {
        this.keyType = KeyType.of(privateKey);
        this.rsaPadding = rsaPadding;
        this.jcaKey = privateKey;
        try {
            this.bcKey = switch (keyType) {
                case RSA -> null;
                case ED25519 -> PrivateKeyFactory.createKey(privateKey.getEncoded());
                default -> ecPrivate(PrivateKeyInfo.getInstance(privateKey.getEncoded()));
            };
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("private key cannot be used for signing (" + keyType + ")");
        }
    }

    public KeyType keyType() {
        return keyType;
    }

    /** The scheme for the hashes the peer announced in SIGNATURE_HASH_ALGORITHMS; empty if none fits our key. */
    public Optional<SignatureScheme> choose(Set<SignatureHash> peerHashes) {
        return SignatureScheme.choose(keyType, peerHashes, rsaPadding);
    }

    /** AUTH payload data for {@code octets}, signed with {@code scheme} (which must fit our key). */
    public byte[] sign(SignatureScheme scheme, byte[] octets) {
        if (!scheme.fits(keyType)) {
            throw new IllegalArgumentException(scheme + " does not fit a " + keyType + " key");
        }
        byte[] sig;
        try {
            sig = switch (keyType) {
                case ED25519 -> {
                    Ed25519Signer s = new Ed25519Signer();
                    s.init(true, bcKey);
                    s.update(octets, 0, octets.length);
                    yield s.generateSignature();
                }
                case ECDSA_P256, ECDSA_P384, ECDSA_P521 -> {
                    ECDSASigner s = new ECDSASigner(new HMacDSAKCalculator(bcDigest(scheme.hash())));
                    s.init(true, (ECPrivateKeyParameters) bcKey);
                    BigInteger[] rs = s.generateSignature(digest(scheme.hash(), octets));
                    yield new DERSequence(new ASN1Encodable[] {new ASN1Integer(rs[0]), new ASN1Integer(rs[1])})
                            .getEncoded(ASN1Encoding.DER);
                }
                case RSA -> {
                    Signature s = rsaSignature(scheme, scheme.hash().length());
                    s.initSign(jcaKey);
                    s.update(octets);
                    yield s.sign();
                }
            };
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("signing with " + scheme + " failed: " + e.getClass().getSimpleName());
        }
        byte[] algId = scheme.algorithmIdentifier();
        byte[] out = new byte[1 + algId.length + sig.length];
        out[0] = (byte) algId.length;
        System.arraycopy(algId, 0, out, 1, algId.length);
        System.arraycopy(sig, 0, out, 1 + algId.length, sig.length);
        return out;
    }

    /**
     * Checks a peer's AUTH payload data over {@code octets} with the public key of its validated certificate.
     * Returns the scheme it used; refuses SHA-1, unknown algorithms, algorithms that do not fit the key, and bad
     * signatures.
     */
    public static SignatureScheme verify(byte[] octets, byte[] authData, PublicKey peerKey) throws AuthenticationException {
        if (authData == null || authData.length < 2) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "AUTH data too short");
        }
        int algLen = authData[0] & 0xff;
        if (algLen == 0 || 1 + algLen >= authData.length) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "AUTH AlgorithmIdentifier length " + algLen
                    + " does not fit " + authData.length + " bytes");
        }
        Algorithm alg = parseAlgorithm(authData, 1, algLen);
        KeyType key;
        try {
            key = KeyType.of(peerKey);
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "peer key: " + e.getMessage());
        }
        if (!alg.scheme.fits(key)) {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM,
                    "peer signed with " + alg.scheme + " but its certificate holds a " + key + " key");
        }
        int sigOff = 1 + algLen;
        byte[] sig = java.util.Arrays.copyOfRange(authData, sigOff, authData.length);
        boolean ok;
        try {
            ok = switch (key) {
                case ED25519 -> {
                    Ed25519Signer s = new Ed25519Signer();
                    s.init(false, (Ed25519PublicKeyParameters) PublicKeyFactory.createKey(peerKey.getEncoded()));
                    s.update(octets, 0, octets.length);
                    yield sig.length == Ed25519PublicKeyParameters.KEY_SIZE * 2 && s.verifySignature(sig);
                }
                case ECDSA_P256, ECDSA_P384, ECDSA_P521 -> {
                    BigInteger[] rs = decodeEcdsa(sig);
                    ECDSASigner s = new ECDSASigner();
                    s.init(false, ecPublic(SubjectPublicKeyInfo.getInstance(peerKey.getEncoded())));
                    yield rs != null && s.verifySignature(digest(alg.scheme.hash(), octets), rs[0], rs[1]);
                }
                case RSA -> {
                    Signature s = rsaSignature(alg.scheme, alg.saltLength);
                    s.initVerify(peerKey);
                    s.update(octets);
                    yield s.verify(sig);
                }
            };
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw new AuthenticationException(AuthFailure.BAD_SIGNATURE, alg.scheme + " signature does not verify");
        }
        return alg.scheme;
    }

    // BouncyCastle's custom curve implementations (SecP256R1Curve...) are several times faster than the generic
    // ones PrivateKeyFactory/PublicKeyFactory pick for a named-curve OID.
    private static ECNamedDomainParameters domain(ASN1Encodable algParams) {
        ASN1ObjectIdentifier curve = ASN1ObjectIdentifier.getInstance(algParams);
        X9ECParameters x9 = CustomNamedCurves.getByOID(curve);
        if (x9 == null) {
            throw new IllegalArgumentException("unsupported EC curve " + curve);
        }
        return new ECNamedDomainParameters(curve, x9);
    }

    private static ECPrivateKeyParameters ecPrivate(PrivateKeyInfo info) throws IOException {
        ECNamedDomainParameters d = domain(info.getPrivateKeyAlgorithm().getParameters());
        BigInteger k = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
        return new ECPrivateKeyParameters(k, d);
    }

    private static ECPublicKeyParameters ecPublic(SubjectPublicKeyInfo spki) {
        ECNamedDomainParameters d = domain(spki.getAlgorithm().getParameters());
        return new ECPublicKeyParameters(d.getCurve().decodePoint(spki.getPublicKeyData().getOctets()), d);
    }

    /** A parsed AlgorithmIdentifier; saltLength matters only for PSS. */
    record Algorithm(SignatureScheme scheme, int saltLength) {
    }

    /** Exact RFC 7427 encodings first; otherwise a lenient parse (absent NULL, other PSS salt, explicit trailer). */
    static Algorithm parseAlgorithm(byte[] buf, int off, int len) throws AuthenticationException {
        for (SignatureScheme s : SignatureScheme.values()) {
            if (s.sameAlgorithmIdentifier(buf, off, len)) {
                return new Algorithm(s, s.hash().length());
            }
        }
        AlgorithmIdentifier ai;
        try {
            ASN1Primitive p = ASN1Primitive.fromByteArray(java.util.Arrays.copyOfRange(buf, off, off + len));
            ai = AlgorithmIdentifier.getInstance(p);
        } catch (IOException | RuntimeException e) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "AUTH AlgorithmIdentifier is not valid DER");
        }
        ASN1ObjectIdentifier oid = ai.getAlgorithm();
        ASN1Encodable params = ai.getParameters();
        boolean noParams = params == null || DERNull.INSTANCE.equals(params);
        if (oid.equals(PKCSObjectIdentifiers.sha1WithRSAEncryption) || oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA1)
                || oid.equals(X9ObjectIdentifiers.id_dsa_with_sha1)) {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "SHA-1 signatures are refused (" + oid + ")");
        }
        if (noParams && oid.equals(PKCSObjectIdentifiers.sha256WithRSAEncryption)) {
            return new Algorithm(SignatureScheme.RSA_PKCS1_SHA256, 32);
        }
        if (noParams && oid.equals(PKCSObjectIdentifiers.sha384WithRSAEncryption)) {
            return new Algorithm(SignatureScheme.RSA_PKCS1_SHA384, 48);
        }
        if (noParams && oid.equals(PKCSObjectIdentifiers.sha512WithRSAEncryption)) {
            return new Algorithm(SignatureScheme.RSA_PKCS1_SHA512, 64);
        }
        if (params == null && oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA256)) {
            return new Algorithm(SignatureScheme.ECDSA_SHA256, 0);
        }
        if (params == null && oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA384)) {
            return new Algorithm(SignatureScheme.ECDSA_SHA384, 0);
        }
        if (params == null && oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA512)) {
            return new Algorithm(SignatureScheme.ECDSA_SHA512, 0);
        }
        if (params == null && oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
            return new Algorithm(SignatureScheme.ED25519, 0);
        }
        if (oid.equals(PKCSObjectIdentifiers.id_RSASSA_PSS)) {
            return parsePss(params);
        }
        throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "signature algorithm " + oid + " is not supported");
    }

    private static Algorithm parsePss(ASN1Encodable params) throws AuthenticationException {
        RSASSAPSSparams p;
        try {
            p = params == null ? null : RSASSAPSSparams.getInstance(params);
        } catch (RuntimeException e) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "RSASSA-PSS parameters are not valid");
        }
        if (p == null) { // absent or empty parameters mean SHA-1 (RFC 4055 defaults)
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "RSASSA-PSS with default (SHA-1) parameters is refused");
        }
        ASN1ObjectIdentifier h = p.getHashAlgorithm().getAlgorithm();
        SignatureScheme scheme;
        if (h.equals(NISTObjectIdentifiers.id_sha256)) {
            scheme = SignatureScheme.RSA_PSS_SHA256;
        } else if (h.equals(NISTObjectIdentifiers.id_sha384)) {
            scheme = SignatureScheme.RSA_PSS_SHA384;
        } else if (h.equals(NISTObjectIdentifiers.id_sha512)) {
            scheme = SignatureScheme.RSA_PSS_SHA512;
        } else {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "RSASSA-PSS hash " + h + " is refused");
        }
        AlgorithmIdentifier mgf = p.getMaskGenAlgorithm();
        if (!mgf.getAlgorithm().equals(PKCSObjectIdentifiers.id_mgf1)
                || !AlgorithmIdentifier.getInstance(mgf.getParameters()).getAlgorithm().equals(h)) {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "RSASSA-PSS must use MGF1 with the same hash");
        }
        if (p.getTrailerField().intValue() != 1) {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "RSASSA-PSS trailer field must be 1");
        }
        int salt = p.getSaltLength().intValueExact();
        if (salt < 0 || salt > 512) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "RSASSA-PSS salt length " + salt);
        }
        return new Algorithm(scheme, salt);
    }

    private static Signature rsaSignature(SignatureScheme scheme, int saltLength) throws GeneralSecurityException {
        if (!scheme.isPss()) {
            return Signature.getInstance(switch (scheme.hash()) {
                case SHA2_256 -> "SHA256withRSA";
                case SHA2_384 -> "SHA384withRSA";
                default -> "SHA512withRSA";
            });
        }
        Signature s = Signature.getInstance("RSASSA-PSS");
        String md = jcaName(scheme.hash());
        s.setParameter(new PSSParameterSpec(md, "MGF1", new MGF1ParameterSpec(md), saltLength, 1));
        return s;
    }

    private static String jcaName(SignatureHash h) {
        return switch (h) {
            case SHA2_256 -> "SHA-256";
            case SHA2_384 -> "SHA-384";
            case SHA2_512 -> "SHA-512";
            default -> throw new IllegalArgumentException("no digest for " + h);
        };
    }

    private static Digest bcDigest(SignatureHash h) {
        return switch (h) {
            case SHA2_256 -> new SHA256Digest();
            case SHA2_384 -> new SHA384Digest();
            case SHA2_512 -> new SHA512Digest();
            default -> throw new IllegalArgumentException("no digest for " + h);
        };
    }

    // JCA digests use the SHA-NI/AVX intrinsics.
    private static byte[] digest(SignatureHash h, byte[] octets) {
        try {
            return MessageDigest.getInstance(jcaName(h)).digest(octets);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** DER ECDSA-Sig-Value; null unless it is exactly two positive INTEGERs in strict DER. */
    private static BigInteger[] decodeEcdsa(byte[] sig) {
        try {
            ASN1Sequence seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(sig));
            if (seq.size() != 2) {
                return null;
            }
            BigInteger[] rs = {ASN1Integer.getInstance(seq.getObjectAt(0)).getValue(),
                ASN1Integer.getInstance(seq.getObjectAt(1)).getValue()};
            if (rs[0].signum() <= 0 || rs[1].signum() <= 0 || !java.util.Arrays.equals(seq.getEncoded(ASN1Encoding.DER), sig)) {
                return null;
            }
            return rs;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
