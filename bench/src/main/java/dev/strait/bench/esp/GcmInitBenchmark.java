package dev.strait.bench.esp;

import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the per-packet {@code Cipher.init} of JCA AES-256-GCM costs next to the encryption itself, on heap arrays
 * with {@code updateAAD} (the ESP datapath's pattern): init alone vs init + AAD + 1400-byte doFinal.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GcmInitBenchmark {
    @Param({"1400"})
    public int size;

    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[8];
    private Cipher cipher;
    private SecretKeySpec key;
    private byte[] in;
    private byte[] out;
    private long counter;

    @Setup
    public void setup() throws GeneralSecurityException {
        key = new SecretKeySpec(new byte[32], "AES");
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        in = new byte[size];
        out = new byte[size + 16];
    }

    private void init() throws GeneralSecurityException {
        long c = ++counter; // a fresh nonce every time: the JDK refuses key+IV reuse for encryption
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    }

    @Benchmark
    public Cipher initOnly() throws GeneralSecurityException {
        init();
        return cipher;
    }

    @Benchmark
    public int initAndSeal() throws GeneralSecurityException {
        init();
        cipher.updateAAD(aad, 0, aad.length);
        return cipher.doFinal(in, 0, in.length, out, 0);
    }
}
