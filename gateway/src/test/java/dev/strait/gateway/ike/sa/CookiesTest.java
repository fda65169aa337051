package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Stateless cookies (RFC 7296 section 2.6): bound to Ni, IPi and SPIi, valid across one secret rotation only. */
class CookiesTest {
    private final AtomicLong now = new AtomicLong();
    private final Cookies cookies = new Cookies(new SecureRandom(), Duration.ofSeconds(60), now::get);
    private final byte[] ni = new byte[32];
    private final InetAddress ip = InetAddress.getLoopbackAddress();

    @Test
    void aCookieIsValidOnlyForTheSameNonceAddressAndSpi() throws Exception {
        byte[] c = cookies.make(ni, ip, 42L);
        assertEquals(Cookies.LENGTH, c.length);
        assertTrue(c.length <= 64, "RFC 7296 3.10.1: at most 64 octets");
        assertTrue(cookies.valid(c, ni, ip, 42L));
        assertFalse(cookies.valid(c, ni, ip, 43L));
        assertFalse(cookies.valid(c, ni, InetAddress.getByName("192.0.2.1"), 42L));
        byte[] otherNonce = ni.clone();
        otherNonce[0] = 1;
        assertFalse(cookies.valid(c, otherNonce, ip, 42L));
        byte[] tampered = c.clone();
        tampered[10] ^= 1;
        assertFalse(cookies.valid(tampered, ni, ip, 42L));
        assertFalse(cookies.valid(new byte[0], ni, ip, 42L));
        assertFalse(cookies.valid(null, ni, ip, 42L));
    }

    @Test
    void theSecretRotatesAndThePreviousOneLastsOnePeriod() {
        byte[] c = cookies.make(ni, ip, 7L);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertTrue(cookies.valid(c, ni, ip, 7L), "made just before the rotation: still good");
        byte[] fresh = cookies.make(ni, ip, 7L);
        assertFalse(java.util.Arrays.equals(c, fresh), "a new secret makes a different cookie");
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertFalse(cookies.valid(c, ni, ip, 7L), "two rotations later it is refused");
        assertTrue(cookies.valid(fresh, ni, ip, 7L));
    }
}
