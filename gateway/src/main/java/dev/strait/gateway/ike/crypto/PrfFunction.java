package dev.strait.gateway.ike.crypto;

/** A pseudo-random function and prf+ (RFC 7296 section 2.13). */
public interface PrfFunction {
    static PrfFunction of(Algorithms.Prf alg) {
        throw new UnsupportedOperationException("crypto: to be implemented");
    }

    Algorithms.Prf algorithm();

    /** prf(key, data[0] | data[1] | ...) */
    byte[] compute(byte[] key, byte[]... data);

    /** prf+(key, seed) truncated to length bytes. */
    byte[] plus(byte[] key, byte[] seed, int length);
}
