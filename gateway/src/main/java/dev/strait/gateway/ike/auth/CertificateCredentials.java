package dev.strait.gateway.ike.auth;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.config.ConfigFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * This side's certificate credentials for one tunnel, loaded once per tunnel config: our chain (end entity first,
 * then intermediates), our private key (checked to match the end-entity certificate), the CAs we trust for the peer,
 * and an optional CRL. Files may be PEM or DER; keys PKCS#8, or the PKCS#1/SEC1 files strongSwan's {@code pki} writes.
 * Encrypted keys are refused. {@link #toString()} never shows the key.
 */
public final class CertificateCredentials {
    private final List<X509Certificate> chain;
    private final PrivateKey privateKey;
    private final List<X509Certificate> trustAnchors;
    private final List<X509CRL> crls;

    public CertificateCredentials(List<X509Certificate> chain, PrivateKey privateKey, List<X509Certificate> trustAnchors,
            List<X509CRL> crls) {
        if (chain.isEmpty()) {
            throw new CredentialException("no certificate given");
        }
        this.chain = List.copyOf(chain);
        this.privateKey = privateKey;
        this.trustAnchors = List.copyOf(trustAnchors);
        this.crls = List.copyOf(crls);
        try {
            KeyType.of(chain.getFirst().getPublicKey());
        } catch (IllegalArgumentException e) {
            throw new CredentialException("certificate " + subject() + ": " + e.getMessage());
        }
        checkKeyMatches();
    }

    /** From the gateway YAML: certFile, keyFile, caFile are required, crlFile optional. */
    public static CertificateCredentials fromSpec(TunnelSpec.Certificate spec) {
        return fromSpec(spec, ConfigFiles.DISK);
    }

    /** The spec's files, read through {@code files} (the disk, or the config Secret's keys). */
    public static CertificateCredentials fromSpec(TunnelSpec.Certificate spec, ConfigFiles files) {
        if (spec == null || spec.certFile == null || spec.keyFile == null || spec.caFile == null) {
            throw new CredentialException("certificate auth needs certFile, keyFile and caFile");
        }
        return load(Path.of(spec.certFile), Path.of(spec.keyFile), Path.of(spec.caFile),
                spec.crlFile == null ? null : Path.of(spec.crlFile), files);
    }

    public static CertificateCredentials load(Path certFile, Path keyFile, Path caFile, Path crlFile) {
        return load(certFile, keyFile, caFile, crlFile, ConfigFiles.DISK);
    }

    static CertificateCredentials load(Path certFile, Path keyFile, Path caFile, Path crlFile, ConfigFiles files) {
        List<X509Certificate> chain = readCertificates(certFile, readFile(files, certFile, "certificate"));
        PrivateKey key = readPrivateKey(keyFile, readFile(files, keyFile, "private key"));
        List<X509Certificate> cas = readCertificates(caFile, readFile(files, caFile, "certificate"));
        List<X509CRL> crls = crlFile == null ? List.of() : readCrls(crlFile, readFile(files, crlFile, "CRL"));
        try {
            return new CertificateCredentials(chain, key, cas, crls);
        } catch (CredentialException e) {
            throw new CredentialException(keyFile + " / " + certFile + ": " + e.getMessage());
        }
    }

    public X509Certificate endEntity() {
        return chain.getFirst();
    }

    /** End entity first, then the intermediates as given. */
    public List<X509Certificate> chain() {
        return chain;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    public List<X509Certificate> trustAnchors() {
        return trustAnchors;
    }

    public List<X509CRL> crls() {
        return crls;
    }

    /** notAfter of our certificate, for strait_certificate_expiry_timestamp_seconds. */
    public Instant expiry() {
        return endEntity().getNotAfter().toInstant();
    }

    /** Whether our certificate binds this identity (config check: local.id must be our subject DN or a subjectAltName). */
    public boolean certifies(Identity id) {
        try {
            PeerCertificateValidator.checkIdentity(endEntity(), id);
            return true;
        } catch (AuthenticationException e) {
            return false;
        }
    }

    public SignatureAuthenticator authenticator(SignatureScheme.RsaPadding rsaPadding) {
        return new SignatureAuthenticator(privateKey, rsaPadding);
    }

    /** A validator for the peer's certificates with our trust anchors and CRLs. */
    public PeerCertificateValidator peerValidator(java.time.Clock clock) {
        return new PeerCertificateValidator(trustAnchors, crls, clock);
    }

    private String subject() {
        return endEntity().getSubjectX500Principal().getName();
    }

    // Sign a random challenge and verify it with the certificate's key: works the same for every key type.
    private void checkKeyMatches() {
        SignatureAuthenticator signer;
        try {
            signer = new SignatureAuthenticator(privateKey);
        } catch (IllegalArgumentException e) {
            throw new CredentialException("private key: " + e.getMessage());
        }
        KeyType certKey = KeyType.of(endEntity().getPublicKey());
        if (certKey != signer.keyType()) {
            throw new CredentialException("private key is " + signer.keyType() + " but certificate " + subject()
                    + " holds a " + certKey + " key");
        }
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        SignatureScheme scheme = signer.choose(java.util.Set.copyOf(SignatureHash.SUPPORTED)).orElseThrow();
        try {
            SignatureAuthenticator.verify(challenge, signer.sign(scheme, challenge), endEntity().getPublicKey());
        } catch (AuthenticationException e) {
            throw new CredentialException("private key does not match certificate " + subject());
        }
    }

    static List<X509Certificate> readCertificates(Path file, byte[] bytes) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Collection<? extends java.security.cert.Certificate> certs = cf.generateCertificates(new ByteArrayInputStream(bytes));
            List<X509Certificate> out = new ArrayList<>();
            for (var c : certs) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new CredentialException(file + ": no certificate found (expected PEM 'BEGIN CERTIFICATE' or DER)");
            }
            return out;
        } catch (CertificateException e) {
            throw new CredentialException(file + ": not a valid X.509 certificate file (" + e.getMessage() + ")");
        }
    }

    static List<X509CRL> readCrls(Path file, byte[] bytes) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509CRL> out = new ArrayList<>();
            for (var c : cf.generateCRLs(new ByteArrayInputStream(bytes))) {
                out.add((X509CRL) c);
            }
            if (out.isEmpty()) {
                throw new CredentialException(file + ": no CRL found (expected PEM 'BEGIN X509 CRL' or DER)");
            }
            return out;
        } catch (CertificateException | CRLException e) {
            throw new CredentialException(file + ": not a valid X.509 CRL file");
        }
    }

    static PrivateKey readPrivateKey(Path file, byte[] bytes) {
        PrivateKeyInfo info;
        String text = new String(bytes, StandardCharsets.US_ASCII);
        if (text.contains("-----BEGIN")) {
            if (text.contains("Proc-Type: 4,ENCRYPTED") || text.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
                throw encrypted(file);
            }
            info = fromPem(file, text);
        } else {
            info = fromDer(file, bytes);
        }
        java.util.Arrays.fill(bytes, (byte) 0);
        return toJca(file, info);
    }

    private static CredentialException encrypted(Path file) {
        return new CredentialException(file + ": the private key is encrypted; give an unencrypted PKCS#8 key "
                + "(e.g. 'openssl pkcs8 -topk8 -nocrypt') and protect the file instead");
    }

    private static PrivateKeyInfo fromPem(Path file, String text) {
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                switch (o) {
                    case PrivateKeyInfo info -> {
                        return info;
                    }
                    case PEMKeyPair pair -> {
                        return pair.getPrivateKeyInfo();
                    }
                    case PEMEncryptedKeyPair ignored -> throw encrypted(file);
                    case PKCS8EncryptedPrivateKeyInfo ignored -> throw encrypted(file);
                    default -> {
                        // parameters (BEGIN EC PARAMETERS) or certificates in the same file: skip
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof CredentialException ce) {
                throw ce;
            }
            throw new CredentialException(file + ": not a readable PEM private key");
        }
        throw new CredentialException(file + ": no private key found (expected 'BEGIN PRIVATE KEY')");
    }

    // DER as strongSwan's pki writes it by default: PKCS#8, PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey.
    private static PrivateKeyInfo fromDer(Path file, byte[] der) {
        ASN1Sequence seq;
        try {
            seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(der));
        } catch (IOException | RuntimeException e) {
            throw new CredentialException(file + ": neither PEM nor DER private key");
        }
        try {
            return PrivateKeyInfo.getInstance(seq);
        } catch (RuntimeException notPkcs8) {
            // fall through
        }
        try {
            return new PrivateKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, org.bouncycastle.asn1.DERNull.INSTANCE),
                    org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(seq));
        } catch (IOException | RuntimeException notPkcs1) {
            // fall through
        }
        try {
            return ecKeyInfo(file, seq);
        } catch (IOException | RuntimeException e) {
            if (e instanceof CredentialException ce) {
                throw ce;
            }
            if (seq.size() == 2) { // EncryptedPrivateKeyInfo: {AlgorithmIdentifier, OCTET STRING}
                throw encrypted(file);
            }
            throw new CredentialException(file + ": unrecognised DER private key");
        }
    }

    private static PrivateKey toJca(Path file, PrivateKeyInfo info) {
        var oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey) && info.getPrivateKeyAlgorithm().getParameters() == null) {
            info = ecWithCurveInAlgorithm(file, info); // SEC1 keys carry the curve inside; the JDK wants it outside
        }
        String alg;
        if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            alg = "RSA";
        } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            alg = "EC";
        } else if (oid.equals(org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519)) {
            alg = "Ed25519";
        } else {
            throw new CredentialException(file + ": private key algorithm " + oid
                    + " is not supported (RSA, ECDSA P-256/P-384/P-521, Ed25519)");
        }
        try {
            PrivateKey key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
            KeyType.of(key);
            return key;
        } catch (IllegalArgumentException e) {
            throw new CredentialException(file + ": " + e.getMessage());
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new CredentialException(file + ": invalid " + alg + " private key");
        }
    }

    private static PrivateKeyInfo ecWithCurveInAlgorithm(Path file, PrivateKeyInfo info) {
        try {
            return ecKeyInfo(file, info.parsePrivateKey());
        } catch (IOException | RuntimeException e) {
            if (e instanceof CredentialException ce) {
                throw ce;
            }
            throw new CredentialException(file + ": invalid EC private key");
        }
    }

    /** A SEC1 ECPrivateKey as PKCS#8, its curve moved into the algorithm identifier. */
    private static PrivateKeyInfo ecKeyInfo(Path file, Object sec1) throws IOException {
        var ec = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(sec1);
        if (ec.getParametersObject() == null) {
            throw new CredentialException(file + ": EC private key without curve parameters");
        }
        return new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, ec.getParametersObject()), ec);
    }

    private static byte[] readFile(ConfigFiles files, Path file, String what) {
        try {
            return files.read(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CredentialException(file + ": " + what + " file does not exist");
        } catch (IOException e) {
            throw new CredentialException(file + ": cannot read " + what + " file (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public String toString() {
        return "CertificateCredentials{subject=" + subject() + ", chain=" + chain.size() + ", trustAnchors="
                + trustAnchors.size() + ", crls=" + crls.size() + ", expiry=" + expiry() + ", key=<redacted>}";
    }
}
