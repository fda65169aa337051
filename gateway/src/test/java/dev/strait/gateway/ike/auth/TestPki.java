package dev.strait.gateway.ike.auth;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Builds test CAs, certificates and CRLs with BouncyCastle (BC provider used locally, never registered globally). */
public final class TestPki {
    static final BouncyCastleProvider BC = new BouncyCastleProvider();
    public static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final AtomicLong SERIAL = new AtomicLong(1000);
    private static final Map<KeyType, KeyPair> KEYS = new EnumMap<>(KeyType.class);

    private TestPki() {
    }

    public static KeyPair newKey(KeyType type) {
        try {
            return switch (type) {
                case RSA -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(3072);
                    yield g.generateKeyPair();
                }
                case ECDSA_P256, ECDSA_P384, ECDSA_P521 -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec(switch (type) {
                        case ECDSA_P256 -> "secp256r1";
                        case ECDSA_P384 -> "secp384r1";
                        default -> "secp521r1";
                    }));
                    yield g.generateKeyPair();
                }
                case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            };
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One cached key per type: RSA-3072 generation is slow on a shared machine. */
    public static synchronized KeyPair key(KeyType type) {
        return KEYS.computeIfAbsent(type, TestPki::newKey);
    }

    static String sigAlg(PrivateKey k) {
        if (k instanceof java.security.interfaces.RSAKey) {
            return "SHA256withRSA"; // also for the too-small keys of refusal tests
        }
        return switch (KeyType.of(k)) {
            case RSA -> "SHA256withRSA";
            case ECDSA_P256 -> "SHA256withECDSA";
            case ECDSA_P384 -> "SHA384withECDSA";
            case ECDSA_P521 -> "SHA512withECDSA";
            case ED25519 -> "Ed25519";
        };
    }

    /** A certificate under construction; defaults: valid NOW-1d .. NOW+365d, end entity, no SAN, no keyUsage. */
    public static final class Cert {
        String subject;
        KeyPair key;
        X509Certificate issuer; // null: self-signed
        PrivateKey issuerKey;
        Instant notBefore = NOW.minus(1, ChronoUnit.DAYS);
        Instant notAfter = NOW.plus(365, ChronoUnit.DAYS);
        boolean ca;
        Integer keyUsage; // KeyUsage bits, null = no extension
        List<GeneralName> sans = new ArrayList<>();

        Cert(String subject, KeyPair key) {
            this.subject = subject;
            this.key = key;
        }

        public Cert issuedBy(X509Certificate issuer, PrivateKey issuerKey) {
            this.issuer = issuer;
            this.issuerKey = issuerKey;
            return this;
        }

        public Cert ca() {
            this.ca = true;
            this.keyUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign;
            return this;
        }

        public Cert validity(Instant from, Instant to) {
            notBefore = from;
            notAfter = to;
            return this;
        }

        public Cert keyUsage(int bits) {
            keyUsage = bits;
            return this;
        }

        public Cert dns(String name) {
            sans.add(new GeneralName(GeneralName.dNSName, name));
            return this;
        }

        public Cert email(String name) {
            sans.add(new GeneralName(GeneralName.rfc822Name, name));
            return this;
        }

        public Cert ip(String address) {
            sans.add(new GeneralName(GeneralName.iPAddress, address));
            return this;
        }

        public X509Certificate build() {
            try {
                X500Name subj = new X500Name(subject);
                X500Name iss = issuer == null ? subj : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
                PrivateKey signKey = issuer == null ? key.getPrivate() : issuerKey;
                X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(iss, BigInteger.valueOf(SERIAL.incrementAndGet()),
                        Date.from(notBefore), Date.from(notAfter), subj, key.getPublic());
                JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
                b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
                if (issuer != null) {
                    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuer));
                }
                if (ca) {
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                }
                if (keyUsage != null) {
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                }
                if (!sans.isEmpty()) {
                    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
                }
                ContentSigner signer = new JcaContentSignerBuilder(sigAlg(signKey)).setProvider(BC).build(signKey);
                return new JcaX509CertificateConverter().getCertificate(b.build(signer));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static Cert cert(String subject, KeyPair key) {
        return new Cert(subject, key);
    }

    static X509CRL crl(X509Certificate issuer, PrivateKey issuerKey, X509Certificate... revoked) {
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
                    Date.from(NOW.minus(1, ChronoUnit.HOURS)));
            b.setNextUpdate(Date.from(NOW.plus(7, ChronoUnit.DAYS)));
            for (X509Certificate r : revoked) {
                b.addCRLEntry(r.getSerialNumber(), Date.from(NOW.minus(2, ChronoUnit.HOURS)), CRLReason.keyCompromise);
            }
            return new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder(sigAlg(issuerKey)).setProvider(BC).build(issuerKey)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(Object... objects) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return sw.toString();
    }

    /** Traditional OpenSSL PEM ("BEGIN EC PRIVATE KEY" with the curve inside, "BEGIN RSA PRIVATE KEY"), as openssl writes it. */
    static String traditionalPem(PrivateKey key) {
        try {
            PrivateKey bcKey = java.security.KeyFactory.getInstance(key.getAlgorithm(), BC)
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(key.getEncoded()));
            return pem(bcKey);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** PKCS#8 "BEGIN PRIVATE KEY" PEM. */
    public static String pkcs8Pem(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    public static Path write(Path dir, String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    /** Root CA -> intermediate CA -> end entity, all with keys of the given types. */
    public record Chain(X509Certificate root, KeyPair rootKey, X509Certificate intermediate, KeyPair intermediateKey,
            X509Certificate endEntity, KeyPair endEntityKey) {
        List<byte[]> sent() {
            try {
                return List.of(endEntity.getEncoded(), intermediate.getEncoded());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static Chain chain(KeyType caType, KeyType eeType, java.util.function.UnaryOperator<Cert> eeCustomizer) {
        KeyPair rootKey = key(caType);
        X509Certificate root = cert("C=CH, O=Strait Test, CN=Root CA " + caType, rootKey).ca().build();
        KeyPair intKey = newKey(caType == KeyType.RSA ? KeyType.ECDSA_P256 : caType);
        X509Certificate intermediate = cert("C=CH, O=Strait Test, CN=Intermediate CA", intKey).ca()
                .issuedBy(root, rootKey.getPrivate()).build();
        KeyPair eeKey = key(eeType);
        X509Certificate ee = eeCustomizer.apply(cert("C=CH, O=Strait Test, CN=gw.example.com", eeKey)
                .issuedBy(intermediate, intKey.getPrivate()).dns("gw.example.com")).build();
        return new Chain(root, rootKey, intermediate, intKey, ee, eeKey);
    }

    static InetAddress addr(String s) {
        return InetAddress.ofLiteral(s);
    }
}
