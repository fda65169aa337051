package dev.strait.gateway.ike.sa;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/** SA lifetime arithmetic and the nonce rule that settles rekey collisions. */
final class Lifetimes {
    /** Like strongSwan's rand_time: rekey up to 10% early so both ends rarely rekey at the same moment. */
    static final double JITTER = 0.10;
    /** Without a successful rekey the SA is replaced at rekeyAfter * 1.1. */
    static final double HARD_FACTOR = 1.10;

    private Lifetimes() {
    }

    static Duration rekeyAfter(Duration configured) {
        double f = 1.0 - JITTER * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis((long) (configured.toMillis() * f));
    }

    static Duration hardLimit(Duration configured) {
        return Duration.ofMillis((long) (configured.toMillis() * HARD_FACTOR));
    }

    /** The smaller of an exchange's two nonces (unsigned, lexicographic: RFC 7296 section 2.8.1 compares them so). */
    static byte[] minNonce(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /**
     * RFC 7296 sections 2.8.1 / 2.8.2: of two colliding rekeys, the one that used the lowest of the four nonces is
     * redundant. Returns true when ours is that one.
     */
    static boolean oursIsRedundant(byte[] ourMinNonce, byte[] theirMinNonce) {
        return Arrays.compareUnsigned(ourMinNonce, theirMinNonce) < 0;
    }
}
