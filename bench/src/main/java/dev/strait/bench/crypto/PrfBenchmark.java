package dev.strait.bench.crypto;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.PrfFunction;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** PRF on 64 bytes and the prf+ expansion of an IKE SA (7 keys for AES-256-GCM). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PrfBenchmark {
    @Param({"HMAC_SHA2_256", "HMAC_SHA2_384"})
    public Algorithms.Prf alg;

    private PrfFunction prf;
    private final byte[] key = new byte[32];
    private final byte[] data = new byte[64];

    @Setup
    public void setup() {
        prf = PrfFunction.of(alg);
    }

    @Benchmark
    public byte[] prf64() {
        return prf.compute(key, data);
    }

    @Benchmark
    public byte[] prfPlusIkeKeys() {
        return prf.plus(key, data, 3 * alg.outputLength + 2 * 36);
    }
}
