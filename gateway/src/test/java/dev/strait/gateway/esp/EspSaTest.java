package dev.strait.gateway.esp;

import dev.strait.gateway.wire.IpProtocol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EspSaTest {
    private static final int SPI = 0xC0FFEE01;
    private final Random random = new Random(42);

    record Suite(Encr encr, int bits, Integ integ) {
        byte[] encKey(Random r) {
            return bytes(r, encr.keyMaterialLength(encr == Encr.CHACHA20_POLY1305 ? 256 : bits));
        }

        byte[] integKey(Random r) {
            return integ == null ? new byte[0] : bytes(r, integ.keyLength);
        }
    }

    static Stream<Suite> suites() {
        return Stream.of(new Suite(Encr.AES_GCM_16, 128, null), new Suite(Encr.AES_GCM_16, 256, null),
                new Suite(Encr.CHACHA20_POLY1305, 256, null), new Suite(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128),
                new Suite(Encr.AES_CBC, 256, Integ.HMAC_SHA2_384_192),
                new Suite(Encr.AES_CBC, 256, Integ.HMAC_SHA2_512_256));
    }

    static Stream<Arguments> suitesAndVersions() {
        return suites().flatMap(s -> Stream.of(Arguments.of(s, 4, false), Arguments.of(s, 6, false),
                Arguments.of(s, 4, true)));
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** A syntactically plausible inner packet: only the version nibble matters to ESP. */
    static byte[] innerPacket(Random r, int version, int len) {
        byte[] p = bytes(r, len);
        p[0] = (byte) (version == 4 ? 0x45 : 0x60);
        return p;
    }

    private record Pair(EspOutbound out, EspInbound in, EspCounters outCounters, EspCounters inCounters) {
    }

    private Pair pair(Suite s, boolean esn, long startSeq) {
        byte[] ek = s.encKey(random);
        byte[] ik = s.integKey(random);
        int bits = s.encr == Encr.CHACHA20_POLY1305 ? 256 : s.bits;
        EspCounters oc = new EspCounters(null);
        EspCounters ic = new EspCounters(null);
        return new Pair(new EspOutbound(SPI, esn, EspCipher.create(s.encr, bits, s.integ, ek, ik), oc, null, startSeq),
                new EspInbound(SPI, esn, EspCipher.create(s.encr, bits, s.integ, ek, ik), ic), oc, ic);
    }

    private static byte[] seal(EspOutbound out, byte[] inner) {
        byte[] buf = new byte[inner.length + 100];
        int n = out.seal(inner, 0, inner.length, (inner[0] & 0xf0) == 0x40 ? 4 : 41, buf, 0);
        assertTrue(n > 0, "seal failed: " + (n < 0 ? DropReason.ofCode(n) : n));
        return Arrays.copyOf(buf, n);
    }

    private static int open(EspInbound in, byte[] esp, byte[] out) {
        return in.open(esp, 0, esp.length, out, 0);
    }

    @ParameterizedTest
    @MethodSource("suitesAndVersions")
    void roundTripAllLengths(Suite s, int version, boolean esn) {
        Pair p = pair(s, esn, 0);
        byte[] out = new byte[2000];
        for (int len = 40; len <= 1400; len += 37) {
            byte[] inner = innerPacket(random, version, len);
            byte[] esp = seal(p.out, inner);
            assertEquals(SPI, EspInbound.spiOf(esp, 0));
            int align = p.out.cipher().align();
            assertEquals(0, (esp.length - 8 - p.out.cipher().ivLength() - p.out.cipher().icvLength()) % align);
            int n = open(p.in, esp, out);
            assertEquals(len, n, () -> "drop " + DropReason.ofCode(-1));
            assertArrayEquals(inner, Arrays.copyOf(out, n));
            assertEquals(version == 4 ? 4 : 41, p.in.lastNextHeader());
        }
        assertEquals(p.outCounters.packetsOut(), p.inCounters.packetsIn());
        assertEquals(p.outCounters.bytesOut(), p.inCounters.bytesIn());
        assertTrue(p.inCounters.lastInboundNanos() > 0);
    }

    @ParameterizedTest
    @MethodSource("suites")
    void flippedBitIsAnAuthDrop(Suite s) {
        Pair p = pair(s, false, 0);
        byte[] esp = seal(p.out, innerPacket(random, 4, 100));
        for (int bit : new int[] {5 * 8 + 3, 20 * 8, (esp.length - 1) * 8}) {
            byte[] bad = esp.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            int r = open(p.in, bad, new byte[300]);
            // Flipping the sequence number may also land outside the window; both are rejections.
            assertTrue(r < 0);
        }
        byte[] bad = esp.clone();
        bad[30] ^= 1;
        assertEquals(DropReason.AUTH.code(), open(p.in, bad, new byte[300]));
        assertTrue(p.inCounters.drops(DropReason.AUTH) >= 1);
        assertEquals(100, open(p.in, esp, new byte[300]), "the genuine packet still passes");
    }

    @ParameterizedTest
    @MethodSource("suites")
    void replayedPacketIsAReplayDrop(Suite s) {
        Pair p = pair(s, false, 0);
        byte[] esp = seal(p.out, innerPacket(random, 6, 80));
        assertEquals(80, open(p.in, esp, new byte[300]));
        assertEquals(DropReason.REPLAY.code(), open(p.in, esp, new byte[300]));
        assertEquals(1, p.inCounters.drops(DropReason.REPLAY));
        assertEquals(1, p.inCounters.packetsIn());
    }

    @Test
    void windowEdgesAcceptOutOfOrderInsideAndRejectOlder() {
        Pair p = pair(new Suite(Encr.AES_GCM_16, 128, null), false, 0);
        int total = ReplayWindow.SIZE + 10;
        byte[][] packets = new byte[total + 1][];
        for (int i = 1; i <= total; i++) {
            packets[i] = seal(p.out, innerPacket(random, 4, 60));
        }
        byte[] out = new byte[300];
        assertEquals(60, open(p.in, packets[total], out));
        // Oldest still inside the window: total - SIZE + 1.
        assertEquals(60, open(p.in, packets[total - ReplayWindow.SIZE + 1], out));
        assertEquals(DropReason.REPLAY.code(), open(p.in, packets[total - ReplayWindow.SIZE], out));
        assertEquals(DropReason.REPLAY.code(), open(p.in, packets[1], out));
        assertEquals(60, open(p.in, packets[total - 1], out));
        assertEquals(DropReason.REPLAY.code(), open(p.in, packets[total - 1], out));
        assertTrue(ReplayWindow.SIZE >= 1024);
    }

    @Test
    void replayWindowSlidesFarAhead() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.update(5));
        assertTrue(w.update(1_000_000));
        assertTrue(w.check(1_000_000 - 1));
        assertTrue(!w.check(5));
        assertTrue(!w.check(1_000_000));
        assertTrue(w.update(1_000_000 - ReplayWindow.SIZE + 1));
        assertTrue(!w.check(0));
    }

    @Test
    void esnRolloverKeepsWorkingAcrossTheLow32Bits() {
        Pair p = pair(new Suite(Encr.AES_GCM_16, 256, null), true, 0xFFFF_FFF0L);
        p.in.window().resetTop(0xFFFF_FFF0L);
        byte[] out = new byte[300];
        for (int i = 0; i < 40; i++) {
            byte[] esp = seal(p.out, innerPacket(random, 4, 64));
            assertEquals(64, open(p.in, esp, out), "packet " + i);
        }
        assertEquals(0x1_0000_0018L, p.out.lastSequence());
        assertEquals(0x1_0000_0018L, p.in.window().top());
        // The wire carries only the low 32 bits.
        byte[] esp = seal(p.out, innerPacket(random, 4, 64));
        assertEquals(0x19, ByteBuffer.wrap(esp, 4, 4).getInt());
    }

    @Test
    void esnDisagreementOnHighBitsFailsAuthentication() {
        // The sender is a whole 2^32 ahead: the receiver infers seq-hi 1, the ICV was computed with 2.
        Pair p = pair(new Suite(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128), true, 0x2_0000_0200L);
        p.in.window().resetTop(0x1_0000_0100L);
        byte[] esp = seal(p.out, innerPacket(random, 4, 64));
        assertEquals(DropReason.AUTH.code(), open(p.in, esp, new byte[300]));
    }

    @Test
    void esnInfersTheNextSubspaceJustAfterTheWrap() {
        Pair p = pair(new Suite(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128), true, 0x1_0000_5000L);
        p.in.window().resetTop(0xFFFF_0000L);
        assertEquals(64, open(p.in, seal(p.out, innerPacket(random, 4, 64)), new byte[300]));
        assertEquals(0x1_0000_5001L, p.in.window().top());
    }

    @Test
    void sequenceExhaustionAsksForRekeyAndNeverWraps() {
        AtomicInteger rekeys = new AtomicInteger();
        Suite s = new Suite(Encr.AES_GCM_16, 128, null);
        EspCounters c = new EspCounters(null);
        EspOutbound out = new EspOutbound(SPI, false,
                EspCipher.create(s.encr, 128, null, s.encKey(random), null), c, rekeys::incrementAndGet,
                0xFFFF_FFFDL);
        byte[] inner = innerPacket(random, 4, 50);
        byte[] buf = new byte[200];
        assertTrue(out.seal(inner, 0, 50, 4, buf, 0) > 0);
        assertTrue(out.seal(inner, 0, 50, 4, buf, 0) > 0);
        assertEquals(1, rekeys.get(), "rekey requested once, well before the end");
        assertEquals(DropReason.SEQ_EXHAUSTED.code(), out.seal(inner, 0, 50, 4, buf, 0));
        assertEquals(DropReason.SEQ_EXHAUSTED.code(), out.seal(inner, 0, 50, 4, buf, 0));
        assertEquals(0xFFFF_FFFFL, out.lastSequence());
        assertEquals(2, c.drops(DropReason.SEQ_EXHAUSTED));
    }

    @Test
    void rekeyThresholdIsFarBeforeTheEnd() {
        AtomicInteger rekeys = new AtomicInteger();
        EspOutbound out = new EspOutbound(SPI, false,
                EspCipher.create(Encr.AES_GCM_16, 128, null, bytes(random, 20), null), new EspCounters(null),
                rekeys::incrementAndGet, 0xEFFF_FFFEL);
        byte[] buf = new byte[200];
        byte[] inner = innerPacket(random, 4, 50);
        out.seal(inner, 0, 50, 4, buf, 0);
        assertEquals(0, rekeys.get());
        out.seal(inner, 0, 50, 4, buf, 0);
        assertEquals(1, rekeys.get());
    }

    @Test
    void gcmMatchesAnIndependentJcaComputation() throws Exception {
        byte[] material = bytes(random, 20);
        EspOutbound out = new EspOutbound(SPI, false, EspCipher.create(Encr.AES_GCM_16, 128, null, material, null),
                new EspCounters(null), null, 6);
        byte[] inner = innerPacket(random, 4, 61);
        byte[] esp = seal(out, inner);
        // RFC 4106 by hand: nonce = salt || IV, IV = seq 7, AAD = SPI || seq, plaintext = inner || 1 || 1 || 4.
        byte[] nonce = ByteBuffer.allocate(12).put(material, 16, 4).putLong(7).array();
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(material, 0, 16, "AES"), new GCMParameterSpec(128, nonce));
        c.updateAAD(ByteBuffer.allocate(8).putInt(SPI).putInt(7).array());
        byte[] pt = ByteBuffer.allocate(64).put(inner).put((byte) 1).put((byte) 1).put((byte) 4).array();
        byte[] expected = ByteBuffer.allocate(8 + 8 + 64 + 16).putInt(SPI).putInt(7).putLong(7).put(c.doFinal(pt))
                .array();
        assertArrayEquals(expected, esp);
    }

    @Test
    void badPaddingAndDummyPacketsAreCountedSeparately() {
        Pair p = pair(new Suite(Encr.AES_GCM_16, 128, null), false, 0);
        byte[] inner = innerPacket(random, 4, 41);
        byte[] buf = new byte[200];
        int n = p.out.seal(inner, 0, inner.length, IpProtocol.NO_NEXT_HEADER, buf, 0);
        assertEquals(DropReason.DUMMY.code(), p.in.open(buf, 0, n, new byte[200], 0));
        assertEquals(1, p.inCounters.drops(DropReason.DUMMY));
        assertEquals(0, p.inCounters.packetsIn());
    }

    @Test
    void truncatedAndMisalignedPacketsAreMalformed() {
        Pair p = pair(new Suite(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128), false, 0);
        byte[] esp = seal(p.out, innerPacket(random, 4, 100));
        byte[] out = new byte[300];
        assertEquals(DropReason.MALFORMED.code(), p.in.open(esp, 0, 7, out, 0));
        assertEquals(DropReason.MALFORMED.code(), p.in.open(esp, 0, esp.length - 1, out, 0));
        assertEquals(2, p.inCounters.drops(DropReason.MALFORMED));
    }

    @Test
    void wrongKeysAndLegacyAlgorithmsAreRefusedWithoutShowingKeys() {
        byte[] key = bytes(random, 19);
        var e = assertThrows(IllegalArgumentException.class,
                () -> EspCipher.create(Encr.AES_GCM_16, 128, null, key, null));
        assertTrue(e.getMessage().contains("20 bytes"));
        assertThrows(IllegalArgumentException.class, () -> EspCipher.create(Encr.AES_CBC, 128,
                Integ.HMAC_SHA1_96, bytes(random, 16), bytes(random, 20)));
        assertThrows(IllegalArgumentException.class,
                () -> EspCipher.create(Encr.AES_CBC, 128, null, bytes(random, 16), null));
    }
}
