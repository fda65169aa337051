package dev.strait.gateway.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-based PRF. Thread-safe: every call works on its own {@link Mac}, cloned from an uninitialised prototype
 * (cheaper than a provider lookup, and virtual threads make ThreadLocal caches useless).
 */
final class HmacPrf implements PrfFunction {
    /** One per algorithm: building the Mac prototype is a provider lookup, too slow to repeat per IKE SA. */
    private static final java.util.Map<Algorithms.Prf, HmacPrf> SHARED = new java.util.concurrent.ConcurrentHashMap<>();

    private final Algorithms.Prf alg;
    private final MacFactory macs;

    static HmacPrf shared(Algorithms.Prf alg) {
        return SHARED.computeIfAbsent(alg, HmacPrf::new);
    }

    HmacPrf(Algorithms.Prf alg) {
        this.alg = Objects.requireNonNull(alg, "alg");
        this.macs = new MacFactory(alg.jcaName);
    }

    @Override
    public Algorithms.Prf algorithm() {
        return alg;
    }

    @Override
    public byte[] compute(byte[] key, byte[]... data) {
        Mac mac = macs.init(key);
        for (byte[] part : data) {
            mac.update(part);
        }
        return mac.doFinal();
    }

    @Override
    public byte[] plus(byte[] key, byte[] seed, int length) {
        int blocks = (length + alg.outputLength - 1) / alg.outputLength;
        if (length < 0 || blocks > 255) {
            throw new IllegalArgumentException("prf+ can produce at most 255 blocks; asked for " + length + " bytes");
        }
        Mac mac = macs.init(key);
        byte[] out = new byte[length];
        byte[] previous = new byte[0];
        for (int n = 1, off = 0; off < length; n++) {
            // T(n) = prf(K, T(n-1) | S | n); doFinal resets the Mac to its keyed state
            mac.update(previous);
            mac.update(seed);
            mac.update((byte) n);
            previous = mac.doFinal();
            int take = Math.min(previous.length, length - off);
            System.arraycopy(previous, 0, out, off, take);
            off += take;
        }
        return out;
    }

    @Override
    public String toString() {
        return "HmacPrf[" + alg + "]";
    }

    /** Hands out fresh keyed Mac instances; shared by the PRF and the integrity half of CBC ciphers. */
    static final class MacFactory {
        private final String jcaName;
        private final Mac prototype;

        MacFactory(String jcaName) {
            this.jcaName = jcaName;
            try {
                this.prototype = Mac.getInstance(jcaName);
                prototype.getProvider(); // fixes the provider now, so clone() never mutates the shared prototype
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(jcaName + " is not available in this JVM", e);
            }
        }

        Mac init(byte[] key) {
            if (key == null || key.length == 0) {
                throw new IllegalArgumentException("PRF/MAC key must not be empty");
            }
            Mac mac;
            try {
                mac = (Mac) prototype.clone();
            } catch (CloneNotSupportedException e) {
                mac = fresh();
            }
            try {
                mac.init(new SecretKeySpec(key, jcaName));
            } catch (InvalidKeyException e) {
                throw new IllegalArgumentException(jcaName + " refused the key", e);
            }
            return mac;
        }

        private Mac fresh() {
            try {
                return Mac.getInstance(jcaName);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(jcaName + " is not available in this JVM", e);
            }
        }
    }
}
