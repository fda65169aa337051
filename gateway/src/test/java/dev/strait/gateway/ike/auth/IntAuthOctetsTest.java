package dev.strait.gateway.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.PrfFunction;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** RFC 9242 section 3.3.2: the AUTH octets end with IntAuth = IntAuth_iN | IntAuth_rN | IKE_AUTH_MID. */
class IntAuthOctetsTest {
    @Test
    void intAuthIsInitiatorChainThenResponderChainThenTheIkeAuthMessageId() {
        // Both ends append the same value, so a swapped order would pass every loopback test: pin it here.
        assertArrayEquals(new byte[] {(byte) 0xaa, (byte) 0xbb, (byte) 0xcc, (byte) 0xdd, 0, 0, 1, 2},
                AuthOctets.intAuth(new byte[] {(byte) 0xaa, (byte) 0xbb}, new byte[] {(byte) 0xcc, (byte) 0xdd}, 0x0102));
    }

    @Test
    void signedOctetsAppendIntAuthAfterTheMacedId() {
        PrfFunction prf = PrfFunction.of(Algorithms.Prf.HMAC_SHA2_256);
        byte[] first = {1, 2, 3};
        byte[] nonce = {4, 5};
        byte[] skP = new byte[32];
        Identity id = Identity.parse("a.test");
        byte[] plain = AuthOctets.signedOctets(prf, first, nonce, skP, id);
        byte[] intAuth = {9, 9, 9, 9};
        byte[] with = AuthOctets.signedOctets(prf, first, nonce, skP, id, intAuth);
        assertArrayEquals(plain, Arrays.copyOf(with, plain.length), "RFC 7296 octets unchanged as the prefix");
        assertArrayEquals(intAuth, Arrays.copyOfRange(with, plain.length, with.length));
    }
}
