package dev.strait.bench.crypto;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.SkCipher;
import java.util.concurrent.TimeUnit;
import javax.crypto.AEADBadTagException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** SK payload protection of a 1 KiB plaintext behind a 32-byte IKE header + payload header. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SkCipherBenchmark {
    private static final int AAD = 32;
    private static final int PLAINTEXT = 1024;

    @Param({"aes256gcm16", "chacha20poly1305", "aes256-sha256", "camellia256-sha256"})
    public String suite;

    private SkCipher cipher;
    private byte[] sealed;
    private byte[] scratch;

    @Setup
    public void setup() {
        Algorithms.Encr encr;
        Algorithms.Integ integ = null;
        switch (suite) {
            case "aes256gcm16" -> encr = Algorithms.Encr.AES_GCM_16;
            case "chacha20poly1305" -> encr = Algorithms.Encr.CHACHA20_POLY1305;
            case "aes256-sha256" -> {
                encr = Algorithms.Encr.AES_CBC;
                integ = Algorithms.Integ.HMAC_SHA2_256_128;
            }
            case "camellia256-sha256" -> {
                encr = Algorithms.Encr.CAMELLIA_CBC;
                integ = Algorithms.Integ.HMAC_SHA2_256_128;
            }
            default -> throw new IllegalArgumentException(suite);
        }
        byte[] encKey = new byte[encr.keyMaterialLength(256)];
        byte[] integKey = integ == null ? null : new byte[integ.keyLength];
        cipher = SkCipher.of(encr, 256, integ, encKey, integKey);
        scratch = new byte[AAD + cipher.ivLength() + PLAINTEXT + cipher.icvLength()];
        sealed = scratch.clone();
        cipher.seal(sealed, AAD);
    }

    @Benchmark
    public byte[] seal1k() {
        cipher.seal(scratch, AAD); // re-encrypts the previous ciphertext in place: same cost, no copy
        return scratch;
    }

    @Benchmark
    public byte[] open1k() throws AEADBadTagException {
        return cipher.open(sealed, AAD);
    }
}
