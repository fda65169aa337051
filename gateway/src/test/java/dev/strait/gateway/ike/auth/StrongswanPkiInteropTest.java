package dev.strait.gateway.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cross-checks with strongSwan's {@code pki} tool (Debian strongswan-pki): keys and chains that strongSwan users
 * generate load, sign and validate here; and certificates signed by our {@link SignatureAuthenticator} (so with our
 * AlgorithmIdentifier bytes and signature encodings) verify in strongSwan. Skipped where pki is not installed.
 */
class StrongswanPkiInteropTest {
    private static final Path PKI = Path.of("/usr/bin/pki");
    private static final byte[] OCTETS = "RealMessage1 | NonceRData | MACedIDForI".getBytes();

    @TempDir
    Path dir;

    @BeforeAll
    static void needsPki() {
        Assumptions.assumeTrue(Files.isExecutable(PKI), "strongSwan pki not installed");
    }

    /** Runs pki, returns its exit code; stdout goes to {@code out} (or is discarded). */
    private int pki(Path out, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(PKI.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.redirectOutput(out == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(out.toFile()));
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "pki timed out: " + cmd);
        return p.exitValue();
    }

    private Path run(String outName, String... args) throws Exception {
        Path out = dir.resolve(outName);
        assertEquals(0, pki(out, args), "pki " + String.join(" ", args));
        return out;
    }

    private static String[] genArgs(String type) {
        return switch (type) {
            case "rsa" -> new String[] {"--gen", "--type", "rsa", "--size", "3072"};
            case "ecdsa384" -> new String[] {"--gen", "--type", "ecdsa", "--size", "384"};
            case "ecdsa256" -> new String[] {"--gen", "--type", "ecdsa", "--size", "256"};
            default -> new String[] {"--gen", "--type", "ed25519"};
        };
    }

    private static String pkiType(String type) {
        return type.startsWith("ecdsa") ? "ecdsa" : type;
    }

    /** root (caType) -> intermediate (ecdsa384) -> end entity (eeType); keys in strongSwan's default DER or PEM. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"ed25519,ed25519,pem", "ecdsa384,ecdsa256,der", "rsa,rsa,pem", "ed25519,ecdsa384,der"})
    void chainAndKeyFromPkiLoadSignAndValidate(String caType, String eeType, String keyForm) throws Exception {
        Path caKey = run("ca.key", concat(genArgs(caType), "--outform", "pem"));
        Path caCrt = run("ca.crt", "--self", "--ca", "--lifetime", "30", "--in", caKey.toString(), "--type", pkiType(caType),
                "--dn", "C=CH, O=strongSwan Test, CN=Root CA", "--outform", "pem");
        Path intKey = run("int.key", genArgs("ecdsa384"));
        Path intCrt = run("int.crt", "--issue", "--cacert", caCrt.toString(), "--cakey", caKey.toString(), "--type", "priv",
                "--in", intKey.toString(), "--ca", "--dn", "C=CH, O=strongSwan Test, CN=Intermediate CA", "--outform", "pem",
                "--rsa-padding", "pss");
        Path eeKey = run("ee.key", concat(genArgs(eeType), "--outform", keyForm));
        Path eeCrt = run("ee.crt", "--issue", "--cacert", intCrt.toString(), "--cakey", intKey.toString(), "--type", "priv",
                "--in", eeKey.toString(), "--dn", "C=CH, O=strongSwan Test, CN=moon.strongswan.org",
                "--san", "moon.strongswan.org", "--san", "192.0.2.1", "--flag", "serverAuth", "--outform", "pem");
        Path chainFile = Files.writeString(dir.resolve("chain.pem"), Files.readString(eeCrt) + Files.readString(intCrt));

        CertificateCredentials creds = CertificateCredentials.load(chainFile, eeKey, caCrt, null);
        assertEquals(2, creds.chain().size());
        assertTrue(creds.expiry().isAfter(Instant.now()));

        SignatureAuthenticator signer = creds.authenticator(SignatureScheme.RsaPadding.PSS);
        SignatureScheme scheme = signer.choose(Set.copyOf(SignatureHash.SUPPORTED)).orElseThrow();
        byte[] auth = signer.sign(scheme, OCTETS);

        var validator = creds.peerValidator(Clock.systemUTC());
        var peer = validator.validatePayloads(CertificateRequests.certPayloads(creds.chain(), List.of()), Identity.parse("moon.strongswan.org"));
        assertEquals(scheme, SignatureAuthenticator.verify(OCTETS, auth, peer.publicKey()));
        assertEquals(peer.certificate(), validator.validate(List.of(creds.chain().get(0).getEncoded(), creds.chain().get(1).getEncoded()),
                Identity.parse("192.0.2.1")).certificate());
        assertEquals(AuthFailure.ID_MISMATCH, assertThrows(AuthenticationException.class, () -> validator.validate(
                List.of(creds.chain().get(0).getEncoded(), creds.chain().get(1).getEncoded()), Identity.parse("sun.strongswan.org"))).reason());

        // a CRL from pki revoking the end entity
        Path crl = run("int.crl", "--signcrl", "--cacert", intCrt.toString(), "--cakey", intKey.toString(),
                "--reason", "key-compromise", "--cert", eeCrt.toString(), "--outform", "pem");
        CertificateCredentials withCrl = CertificateCredentials.load(chainFile, eeKey, caCrt, crl);
        assertEquals(AuthFailure.REVOKED, assertThrows(AuthenticationException.class, () -> withCrl.peerValidator(Clock.systemUTC())
                .validatePayloads(CertificateRequests.certPayloads(creds.chain(), List.of()), Identity.parse("moon.strongswan.org"))).reason());
    }

    /** Certificates signed through our signer: strongSwan must accept our AlgorithmIdentifier and signature bytes. */
    @ParameterizedTest
    @EnumSource(SignatureScheme.class)
    void strongswanVerifiesOurSignatures(SignatureScheme scheme) throws Exception {
        KeyType type = switch (scheme) {
            case ECDSA_SHA256 -> KeyType.ECDSA_P256;
            case ECDSA_SHA384 -> KeyType.ECDSA_P384;
            case ECDSA_SHA512 -> KeyType.ECDSA_P521;
            case ED25519 -> KeyType.ED25519;
            default -> KeyType.RSA;
        };
        KeyPair kp = TestPki.key(type);
        SignatureAuthenticator signer = new SignatureAuthenticator(kp.getPrivate());
        // CA certificate and an end entity issued by it, both signed through our signer; strongSwan checks the
        // end entity's signature with the CA key (a certificate that is itself trusted would not be checked at all)
        X500Name caName = new X500Name("C=CH, O=Strait, CN=CA " + scheme);
        X509Certificate ca = new JcaX509CertificateConverter().getCertificate(builder(caName, caName, kp.getPublic())
                .addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true, new org.bouncycastle.asn1.x509.BasicConstraints(true))
                .build(contentSigner(signer, scheme)));
        X509Certificate ee = new JcaX509CertificateConverter().getCertificate(builder(caName,
                new X500Name("C=CH, O=Strait, CN=ee"), TestPki.key(KeyType.ED25519).getPublic()).build(contentSigner(signer, scheme)));
        Path caFile = Files.writeString(dir.resolve("ca.pem"), TestPki.pem(ca));
        Path good = Files.writeString(dir.resolve("good.pem"), TestPki.pem(ee));
        assertEquals(0, pki(null, "--verify", "--in", good.toString(), "--cacert", caFile.toString()), scheme + " rejected by strongSwan");

        byte[] der = ee.getEncoded();
        der[der.length - 3] ^= 0x01; // inside the signature value
        Path bad = Files.write(dir.resolve("bad.der"), der);
        assertNotEquals(0, pki(null, "--verify", "--in", bad.toString(), "--cacert", caFile.toString()), "tampered " + scheme + " accepted");
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, java.security.PublicKey key) {
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(System.nanoTime()),
                Date.from(Instant.now().minus(1, ChronoUnit.DAYS)), Date.from(Instant.now().plus(1, ChronoUnit.DAYS)), subject, key);
    }

    private static ContentSigner contentSigner(SignatureAuthenticator signer, SignatureScheme scheme) {
        return new ContentSigner() {
            private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return AlgorithmIdentifier.getInstance(scheme.algorithmIdentifier());
            }

            @Override
            public OutputStream getOutputStream() {
                return tbs;
            }

            @Override
            public byte[] getSignature() {
                byte[] auth = signer.sign(scheme, tbs.toByteArray());
                return Arrays.copyOfRange(auth, 1 + (auth[0] & 0xff), auth.length);
            }
        };
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
