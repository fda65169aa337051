package dev.strait.gateway.ike.crypto;

/** A pseudo-random function and prf+ (RFC 7296 section 2.13). */
public interface PrfFunction {
    /** A thread-safe HMAC PRF, one shared instance per algorithm (all SAs and threads may use it). */
    static PrfFunction of(Algorithms.Prf alg) {
        return HmacPrf.shared(alg);
    }

    Algorithms.Prf algorithm();

    /** prf(key, data[0] | data[1] | ...) */
    byte[] compute(byte[] key, byte[]... data);

    /** prf+(key, seed) truncated to length bytes (at most 255 PRF outputs). */
    byte[] plus(byte[] key, byte[] seed, int length);
}
