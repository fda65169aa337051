package dev.strait.bench.auth;

import dev.strait.gateway.ike.auth.AuthenticationException;
import dev.strait.gateway.ike.auth.SignatureAuthenticator;
import dev.strait.gateway.ike.auth.SignatureScheme;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * RFC 7427 AUTH signing and verification per scheme, as one IKE_AUTH side does it: sign our octets, verify the
 * peer's. Octets are the size of a typical IKE_SA_INIT message + nonce + MACed ID.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SignatureBenchmark {
    @Param({"ED25519", "ECDSA_SHA256", "ECDSA_SHA384", "RSA_PSS_SHA256", "RSA_PKCS1_SHA256"})
    public String scheme;

    private SignatureScheme s;
    private SignatureAuthenticator signer;
    private PublicKey publicKey;
    private java.security.PrivateKey privateKey;
    private byte[] octets;
    private byte[] auth;

    @Setup
    public void setup() throws Exception {
        s = SignatureScheme.valueOf(scheme);
        KeyPair kp = switch (s) {
            case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            case ECDSA_SHA256, ECDSA_SHA384 -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec(s == SignatureScheme.ECDSA_SHA256 ? "secp256r1" : "secp384r1"));
                yield g.generateKeyPair();
            }
            default -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(3072);
                yield g.generateKeyPair();
            }
        };
        signer = new SignatureAuthenticator(kp.getPrivate());
        privateKey = kp.getPrivate();
        publicKey = kp.getPublic();
        octets = new byte[600];
        new SecureRandom().nextBytes(octets);
        auth = signer.sign(s, octets);
        setupJca();
    }

    /** JCA-only baseline for the same scheme, measured in the same run (a fair ratio even on a busy machine). */
    private java.security.Signature jcaSigner;
    private java.security.Signature jcaVerifier;
    private byte[] jcaSignature;

    private java.security.Signature jca() throws Exception {
        return switch (s) {
            case ED25519 -> java.security.Signature.getInstance("Ed25519");
            case ECDSA_SHA256 -> java.security.Signature.getInstance("SHA256withECDSA");
            case ECDSA_SHA384 -> java.security.Signature.getInstance("SHA384withECDSA");
            case RSA_PKCS1_SHA256 -> java.security.Signature.getInstance("SHA256withRSA");
            default -> {
                java.security.Signature p = java.security.Signature.getInstance("RSASSA-PSS");
                p.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
                yield p;
            }
        };
    }

    private void setupJca() throws Exception {
        jcaSigner = jca();
        jcaSigner.initSign(privateKey);
        jcaVerifier = jca();
        jcaSigner.update(octets);
        jcaSignature = jcaSigner.sign();
    }

    @Benchmark
    public byte[] jcaSign() throws Exception {
        jcaSigner.update(octets);
        return jcaSigner.sign();
    }

    @Benchmark
    public boolean jcaVerify() throws Exception {
        jcaVerifier.initVerify(publicKey);
        jcaVerifier.update(octets);
        return jcaVerifier.verify(jcaSignature);
    }

    @Benchmark
    public byte[] sign() {
        return signer.sign(s, octets);
    }

    @Benchmark
    public SignatureScheme verify() throws AuthenticationException {
        return SignatureAuthenticator.verify(octets, auth, publicKey);
    }
}
