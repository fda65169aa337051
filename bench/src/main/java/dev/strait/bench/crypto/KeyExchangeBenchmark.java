package dev.strait.bench.crypto;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyExchange;
import java.security.GeneralSecurityException;
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
 * keygen: a fresh ephemeral key and its KE payload. responderFull: what a responder does per handshake
 * (fresh key + agreement with the initiator's value; for ML-KEM the encapsulation). initiatorFinish: the
 * initiator's shared secret from the responder's answer (for ML-KEM keygen + decapsulation).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KeyExchangeBenchmark {
    @Param({"CURVE25519", "CURVE448", "ECP_256", "ECP_384", "ECP_521", "MODP_2048", "MODP_3072", "MODP_4096",
        "ML_KEM_768", "ML_KEM_1024"})
    public Algorithms.Group group;

    private byte[] initiatorValue;
    private KeyExchange responderTemplate;
    private byte[] responderAnswer;

    @Setup
    public void setup() throws GeneralSecurityException {
        KeyExchange initiator = KeyExchange.generate(group);
        initiatorValue = initiator.publicValue();
        responderTemplate = KeyExchange.generate(group);
        responderAnswer = responderTemplate.respond(initiatorValue);
    }

    @Benchmark
    public byte[] keygen() {
        return KeyExchange.generate(group).publicValue();
    }

    @Benchmark
    public byte[] responderFull() throws GeneralSecurityException {
        KeyExchange responder = KeyExchange.generate(group);
        responder.respond(initiatorValue);
        return responder.sharedSecret(null);
    }

    @Benchmark
    public byte[] initiatorFinish() throws GeneralSecurityException {
        // a fresh initiator cannot reuse responderAnswer for ML-KEM (bound to one key), so pair it anew
        KeyExchange initiator = KeyExchange.generate(group);
        byte[] mine = initiator.publicValue();
        if (group == Algorithms.Group.ML_KEM_768 || group == Algorithms.Group.ML_KEM_1024) {
            return initiator.sharedSecret(KeyExchange.generate(group).respond(mine));
        }
        return initiator.sharedSecret(responderAnswer);
    }
}
