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
        publicKey = kp.getPublic();
        octets = new byte[600];
        new SecureRandom().nextBytes(octets);
        auth = signer.sign(s, octets);
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
