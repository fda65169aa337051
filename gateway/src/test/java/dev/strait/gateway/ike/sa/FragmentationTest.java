package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.SkCipher;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.MalformedMessageException;
import dev.strait.gateway.ike.message.Payload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7383: SKF sealing (each fragment on its own, within the size limit), reassembly and its limits. */
class FragmentationTest {

    private static SkCipher cipher(String kind) {
        byte[] enc = new byte[36];
        byte[] integ = new byte[32];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = (byte) (i * 7 + 1);
        }
        return kind.equals("gcm")
                ? SkCipher.of(Algorithms.Encr.AES_GCM_16, 256, null, enc, null)
                : SkCipher.of(Algorithms.Encr.AES_CBC, 256, Algorithms.Integ.HMAC_SHA2_256_128, java.util.Arrays.copyOf(enc, 32), integ);
    }

    /** An IKE_AUTH-sized inner chain: many traffic selectors. */
    private static List<Payload> bigInner() {
        List<Cidr> nets = IntStream.range(0, 60).mapToObj(i -> Cidr.parse("10." + i + ".0.0/16")).toList();
        return List.of(new Payload.Nonce(new byte[32]), new Payload.TrafficSelectors(true, TrafficSelectors.of(nets)),
                new Payload.TrafficSelectors(false, TrafficSelectors.of(nets)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcm", "cbc"})
    void fragmentsFitTheLimitAndReassembleOutOfOrder(String kind) throws Exception {
        SkCipher c = cipher(kind);
        List<Payload> inner = bigInner();
        int limit = 576 - 20 - 8 - 4;
        List<byte[]> frags = SkProtector.sealFragments(c, 1L, 2L, ExchangeType.IKE_AUTH, IkeMessage.FLAG_INITIATOR, 1, inner, limit);
        assertTrue(frags.size() > 2, "needs several fragments: " + frags.size());
        frags.forEach(f -> assertTrue(f.length <= limit, "fragment of " + f.length + " bytes exceeds " + limit));
        List<byte[]> shuffled = new ArrayList<>(frags);
        Collections.reverse(shuffled);
        FragmentAssembler a = new FragmentAssembler();
        FragmentAssembler.Whole whole = null;
        for (byte[] raw : shuffled) {
            IkeMessage m = IkeCodec.decode(raw, 0, raw.length);
            Payload.EncryptedFragment f = m.first(Payload.EncryptedFragment.class).orElseThrow();
            assertEquals(f.fragmentNumber() == 1 ? inner.getFirst().type() : 0, f.firstInnerPayload());
            assertNull(whole, "complete only with the last fragment");
            whole = a.add(m.messageId(), f.fragmentNumber(), f.totalFragments(), f.firstInnerPayload(),
                    SkProtector.openFragment(c, f, raw, 0, raw.length));
        }
        assertNotNull(whole);
        List<Payload> back = IkeCodec.decodeChain(whole.firstPayload(), whole.chain(), 0, whole.chain().length);
        assertEquals(IkeCodec.encodeChain(inner).bytes().length, IkeCodec.encodeChain(back).bytes().length);
        assertArrayEquals(IkeCodec.encodeChain(inner).bytes(), IkeCodec.encodeChain(back).bytes());
        assertEquals(0, a.pending());
    }

    @Test
    void eachFragmentIsAuthenticatedOnItsOwn() {
        SkCipher c = cipher("gcm");
        List<byte[]> frags = SkProtector.sealFragments(c, 1L, 2L, ExchangeType.IKE_AUTH, 0, 1, bigInner(), 500);
        byte[] tampered = frags.get(1).clone();
        tampered[tampered.length - 20] ^= 1;
        IkeMessage m = assertDoesNotThrowDecode(tampered);
        assertThrows(AEADBadTagException.class, () -> SkProtector.openFragment(c,
                m.first(Payload.EncryptedFragment.class).orElseThrow(), tampered, 0, tampered.length));
    }

    private static IkeMessage assertDoesNotThrowDecode(byte[] raw) {
        try {
            return IkeCodec.decode(raw, 0, raw.length);
        } catch (MalformedMessageException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void duplicatesAreIgnoredAndANewerFragmentationRestarts() throws Exception {
        FragmentAssembler a = new FragmentAssembler();
        assertNull(a.add(5, 1, 3, 40, new byte[] {1}));
        assertNull(a.add(5, 1, 3, 40, new byte[] {9})); // duplicate
        assertEquals(1, a.pending());
        assertNull(a.add(5, 2, 4, 0, new byte[] {2})); // re-fragmented with more pieces: start over
        assertEquals(1, a.pending());
        assertNull(a.add(5, 3, 3, 0, new byte[] {7})); // leftover of the older fragmentation
        assertNull(a.add(5, 1, 4, 40, new byte[] {1}));
        assertNull(a.add(5, 3, 4, 0, new byte[] {3}));
        FragmentAssembler.Whole w = a.add(5, 4, 4, 0, new byte[] {4});
        assertNotNull(w);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, w.chain());
        assertEquals(40, w.firstPayload());
    }

    @Test
    void limitsOnCountSizeAndAge() throws Exception {
        FakeClock clock = new FakeClock();
        FragmentAssembler a = new FragmentAssembler(Duration.ofMillis(100), clock::nanoTime);
        assertThrows(MalformedMessageException.class, () -> a.add(1, 1, FragmentAssembler.MAX_FRAGMENTS + 1, 0, new byte[1]));
        assertThrows(MalformedMessageException.class, () -> a.add(1, 3, 2, 0, new byte[1]));
        assertThrows(MalformedMessageException.class, () -> a.add(1, 0, 2, 0, new byte[1]));
        byte[] big = new byte[FragmentAssembler.MAX_BYTES / 2 + 1];
        assertNull(a.add(2, 1, 3, 0, big));
        assertThrows(MalformedMessageException.class, () -> a.add(2, 2, 3, 0, big), "total size limit");
        assertEquals(0, a.pending(), "a message over the size limit is dropped");
        assertNull(a.add(3, 1, 2, 0, new byte[] {1}));
        clock.advance(Duration.ofMillis(150));
        assertNull(a.add(3, 2, 2, 0, new byte[] {2}), "fragment 1 expired, so the message is incomplete again");
        assertEquals(1, a.pending());
    }
}
