package dev.strait.gateway.ike.sa;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless IKE_SA_INIT cookies (RFC 7296 section 2.6): Cookie = VersionIDofSecret | HMAC-SHA256(secret, Ni | IPi | SPIi).
 * The secret rotates; a cookie made with the previous secret stays valid for one more period, so an initiator that
 * got a cookie just before a rotation is not turned away. Thread-safe.
 */
final class Cookies {
    static final int LENGTH = 1 + 32;

    private final SecureRandom random;
    private final long rotateNanos;
    private final LongSupplier clock;
    private byte[] current;
    private byte[] previous;
    /** One HMAC instance, re-keyed per use (under the lock): a flood makes a cookie per datagram. */
    private final Mac hmac;
    private byte version;
    private long rotatedAt;

    Cookies(SecureRandom random, Duration rotation) {
        this(random, rotation, System::nanoTime);
    }

    Cookies(SecureRandom random, Duration rotation, LongSupplier clock) {
        this.random = random;
        this.rotateNanos = rotation.toNanos();
        this.clock = clock;
        try {
            this.hmac = Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
        this.current = fresh();
        this.rotatedAt = clock.getAsLong();
    }

    synchronized byte[] make(byte[] ni, InetAddress ip, long spiI) {
        rotateIfDue();
        byte[] mac = mac(current, ni, ip, spiI);
        return ByteBuffer.allocate(LENGTH).put(version).put(mac).array();
    }

    /** Constant-time check against the current and the previous secret. */
    synchronized boolean valid(byte[] cookie, byte[] ni, InetAddress ip, long spiI) {
        rotateIfDue();
        if (cookie == null || cookie.length != LENGTH) {
            return false;
        }
        byte[] secret = cookie[0] == version ? current : cookie[0] == (byte) (version - 1) ? previous : null;
        if (secret == null) {
            return false;
        }
        byte[] expected = mac(secret, ni, ip, spiI);
        return MessageDigest.isEqual(expected, java.util.Arrays.copyOfRange(cookie, 1, LENGTH));
    }

    private void rotateIfDue() {
        long now = clock.getAsLong();
        if (now - rotatedAt >= rotateNanos) {
            previous = current;
            current = fresh();
            version++;
            rotatedAt = now;
        }
    }

    private byte[] fresh() {
        byte[] s = new byte[32];
        random.nextBytes(s);
        return s;
    }

    private byte[] mac(byte[] secret, byte[] ni, InetAddress ip, long spiI) {
        try {
            Mac m = hmac;
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            m.update(ni);
            m.update(ip.getAddress());
            m.update(ByteBuffer.allocate(8).putLong(spiI).array());
            return m.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
