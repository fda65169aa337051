package dev.strait.gateway.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CertificateCredentialsTest {
    @TempDir
    Path dir;

    private TunnelSpec.Certificate spec(TestPki.Chain c, String keyPem) throws Exception {
        TunnelSpec.Certificate s = new TunnelSpec.Certificate();
        s.certFile = TestPki.write(dir, "gw.crt", TestPki.pem(c.endEntity(), c.intermediate())).toString();
        s.keyFile = TestPki.write(dir, "gw.key", keyPem).toString();
        s.caFile = TestPki.write(dir, "ca.crt", TestPki.pem(c.root())).toString();
        return s;
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void loadsChainKeyAndCasFromPkcs8Pem(KeyType type) throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, type, UnaryOperator.identity());
        CertificateCredentials creds = CertificateCredentials.fromSpec(spec(c, TestPki.pkcs8Pem(c.endEntityKey().getPrivate())));
        assertEquals(List.of(c.endEntity(), c.intermediate()), creds.chain());
        assertEquals(List.of(c.root()), creds.trustAnchors());
        assertEquals(c.endEntity().getNotAfter().toInstant(), creds.expiry());
        assertEquals(type, creds.authenticator(SignatureScheme.RsaPadding.PSS).keyType());
        assertTrue(creds.certifies(Identity.parse("gw.example.com")));
        assertTrue(creds.certifies(Identity.parse("C=CH, O=Strait Test, CN=gw.example.com")));
        assertFalse(creds.certifies(Identity.parse("other.example.com")));
        assertFalse(creds.toString().contains(Base64.getEncoder().encodeToString(c.endEntityKey().getPrivate().getEncoded()).substring(0, 20)));
        // our own chain validates with our own trust anchors (what the peer will do)
        var peer = creds.peerValidator(Clock.fixed(TestPki.NOW, ZoneOffset.UTC))
                .validatePayloads(CertificateRequests.certPayloads(creds.chain(), List.of()), Identity.parse("gw.example.com"));
        assertEquals(c.endEntity(), peer.certificate());
    }

    @Test
    void acceptsTraditionalPemKeysAndCrlFile() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P384, UnaryOperator.identity());
        TunnelSpec.Certificate s = spec(c, TestPki.traditionalPem(c.endEntityKey().getPrivate())); // "BEGIN EC PRIVATE KEY"
        assertTrue(Files.readString(Path.of(s.keyFile)).contains("BEGIN EC PRIVATE KEY"));
        s.crlFile = TestPki.write(dir, "ca.crl", TestPki.pem(TestPki.crl(c.intermediate(), c.intermediateKey().getPrivate(), c.endEntity()))).toString();
        CertificateCredentials creds = CertificateCredentials.fromSpec(s);
        assertEquals(1, creds.crls().size());
        // RSA as "BEGIN RSA PRIVATE KEY" (PKCS#1)
        TestPki.Chain rsa = TestPki.chain(KeyType.ECDSA_P256, KeyType.RSA, UnaryOperator.identity());
        String rsaPem = TestPki.traditionalPem(rsa.endEntityKey().getPrivate());
        assertTrue(rsaPem.contains("BEGIN RSA PRIVATE KEY"));
        assertEquals(KeyType.RSA, CertificateCredentials.fromSpec(spec(rsa, rsaPem)).authenticator(SignatureScheme.RsaPadding.PSS).keyType());
        var v = creds.peerValidator(Clock.fixed(TestPki.NOW, ZoneOffset.UTC));
        assertEquals(AuthFailure.REVOKED, assertThrows(AuthenticationException.class, () -> v.validatePayloads(
                CertificateRequests.certPayloads(creds.chain(), List.of()), Identity.parse("gw.example.com"))).reason());
    }

    @Test
    void keyThatDoesNotMatchTheCertificateIsRefused() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        KeyPair other = TestPki.newKey(KeyType.ECDSA_P256);
        CredentialException e = assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(spec(c, TestPki.pkcs8Pem(other.getPrivate()))));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        assertTrue(e.getMessage().contains("gw.key"), e.getMessage());
        KeyPair ed = TestPki.key(KeyType.ED25519);
        e = assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(spec(c, TestPki.pkcs8Pem(ed.getPrivate()))));
        assertTrue(e.getMessage().contains("ED25519"), e.getMessage());
    }

    @Test
    void encryptedKeysAreRefusedWithAClearMessage() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
        var pkcs8Enc = new JcaPKCS8Generator(c.endEntityKey().getPrivate(),
                new JceOpenSSLPKCS8EncryptorBuilder(PKCSObjectIdentifiers.des_EDE3_CBC).setProvider(TestPki.BC)
                        .setPassword("secret".toCharArray()).build());
        var legacyEnc = new org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator(c.endEntityKey().getPrivate(),
                new JcePEMEncryptorBuilder("AES-128-CBC").setProvider(TestPki.BC).build("secret".toCharArray()));
        for (Object enc : List.of(pkcs8Enc, legacyEnc)) {
            java.io.StringWriter sw = new java.io.StringWriter();
            try (var w = new org.bouncycastle.util.io.pem.PemWriter(sw)) {
                w.writeObject((org.bouncycastle.util.io.pem.PemObjectGenerator) enc);
            }
            CredentialException e = assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(spec(c, sw.toString())));
            assertTrue(e.getMessage().contains("encrypted") && e.getMessage().contains("gw.key"), e.getMessage());
        }
    }

    @Test
    void fileProblemsNameTheFile() throws Exception {
        TestPki.Chain c = TestPki.chain(KeyType.ED25519, KeyType.ED25519, UnaryOperator.identity());
        TunnelSpec.Certificate s = spec(c, TestPki.pkcs8Pem(c.endEntityKey().getPrivate()));
        s.caFile = dir.resolve("missing-ca.crt").toString();
        CredentialException e = assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(s));
        assertTrue(e.getMessage().contains("missing-ca.crt") && e.getMessage().contains("does not exist"), e.getMessage());

        TunnelSpec.Certificate s2 = spec(c, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        e = assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(s2));
        assertTrue(e.getMessage().contains("gw.key"), e.getMessage());

        TunnelSpec.Certificate s3 = spec(c, TestPki.pkcs8Pem(c.endEntityKey().getPrivate()));
        s3.certFile = TestPki.write(dir, "junk.crt", "not a certificate").toString();
        e = assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(s3));
        assertTrue(e.getMessage().contains("junk.crt"), e.getMessage());

        TunnelSpec.Certificate s4 = new TunnelSpec.Certificate();
        assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(s4));
    }

    @Test
    void smallRsaKeysAreRefused() throws Exception {
        var g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        KeyPair small = g.generateKeyPair();
        var cert = TestPki.cert("CN=small", small).build();
        TunnelSpec.Certificate s = new TunnelSpec.Certificate();
        s.certFile = TestPki.write(dir, "small.crt", TestPki.pem(cert)).toString();
        s.keyFile = TestPki.write(dir, "small.key", TestPki.pkcs8Pem(small.getPrivate())).toString();
        s.caFile = s.certFile;
        CredentialException e = assertThrows(CredentialException.class, () -> CertificateCredentials.fromSpec(s));
        assertTrue(e.getMessage().contains("1024") && e.getMessage().contains("small.key"), e.getMessage());
    }
}
