package dev.strait.bench.esp;

import dev.strait.gateway.esp.EspCipher;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.esp.EspInbound;
import dev.strait.gateway.esp.EspOutbound;
import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** ESP seal + open of one packet (both directions of one SA), per transform and packet size. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EspBenchmark {
    @Param({"64", "1400"})
    public int size;

    @Param({"aes256gcm16", "chacha20poly1305", "aes256-sha256"})
    public String transform;

    private EspOutbound out;
    private EspInbound in;
    private byte[] inner;
    private final byte[] esp = new byte[2048];
    private final byte[] plain = new byte[2048];

    @Setup
    public void setup() {
        SecureRandom r = new SecureRandom();
        Encr encr;
        Integ integ = null;
        byte[] key;
        byte[] ikey = new byte[0];
        switch (transform) {
            case "aes256gcm16" -> {
                encr = Encr.AES_GCM_16;
                key = new byte[36];
            }
            case "chacha20poly1305" -> {
                encr = Encr.CHACHA20_POLY1305;
                key = new byte[36];
            }
            default -> {
                encr = Encr.AES_CBC;
                integ = Integ.HMAC_SHA2_256_128;
                key = new byte[32];
                ikey = new byte[32];
                r.nextBytes(ikey);
            }
        }
        r.nextBytes(key);
        // The ESN space never runs out during a run; the replay window only moves forward.
        out = new EspOutbound(0x1001, true, EspCipher.create(encr, 256, integ, key, ikey), new EspCounters(null),
                null);
        in = new EspInbound(0x1001, true, EspCipher.create(encr, 256, integ, key, ikey), new EspCounters(null));
        inner = new byte[size];
        r.nextBytes(inner);
        inner[0] = 0x45;
    }

    @Benchmark
    public int sealAndOpen() {
        int n = out.seal(inner, 0, inner.length, 4, esp, 0);
        int m = in.open(esp, 0, n, plain, 0);
        if (m != inner.length) {
            throw new IllegalStateException("open failed: " + m);
        }
        return m;
    }
}
