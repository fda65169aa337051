package dev.strait.gateway.ike.message;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Feeds random bytes and random mutations of valid messages to the decoder: the only acceptable outcomes are a
 * decoded message (which must then encode and decode to the same content) or MalformedMessageException.
 * Seeds are fixed so a failure reproduces; the failing input is printed in hex.
 */
class IkeCodecFuzzTest {
    private static final int ROUNDS = 40_000;

    private final List<byte[]> seeds = SampleMessages.all().stream().map(s -> IkeCodec.encode(s.message())).toList();

    @Test
    void mutationsOfValidMessagesOnlyEverFailAsMalformed() {
        Random rnd = new Random(0x5742A17L);
        int decoded = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] wire = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
            if (rnd.nextInt(4) != 0 && wire.length >= IkeMessage.HEADER_LENGTH) {
                fixHeaderLength(wire); // most mutants should get past the header check to reach the payloads
            }
            if (check(wire)) {
                decoded++;
            }
        }
        // sanity: the mutator is not so destructive that the payload parser is never reached successfully
        assertTrue(decoded > ROUNDS / 50, "only " + decoded + " mutants decoded");
    }

    @Test
    void randomBytesBehindAPlausibleHeader() {
        Random rnd = new Random(42);
        int[] types = {0, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 53, 1, 200};
        for (int i = 0; i < ROUNDS; i++) {
            byte[] wire = new byte[IkeMessage.HEADER_LENGTH + rnd.nextInt(200)];
            rnd.nextBytes(wire);
            wire[16] = (byte) types[rnd.nextInt(types.length)];
            wire[17] = rnd.nextInt(10) == 0 ? (byte) rnd.nextInt(256) : 0x20;
            if (rnd.nextInt(10) != 0) {
                fixHeaderLength(wire);
            }
            check(wire);
            byte[] chain = Arrays.copyOfRange(wire, IkeMessage.HEADER_LENGTH, wire.length);
            try {
                IkeCodec.decodeChain(types[rnd.nextInt(types.length)], chain, 0, chain.length);
            } catch (MalformedMessageException expected) {
                // fine
            } catch (RuntimeException e) {
                throw new AssertionError("decodeChain threw " + e + " for " + java.util.HexFormat.of().formatHex(chain), e);
            }
        }
    }

    @Test
    void everyTruncationOfEverySample() {
        for (byte[] seed : seeds) {
            for (int len = 0; len < seed.length; len++) {
                byte[] wire = Arrays.copyOf(seed, len);
                if (len >= IkeMessage.HEADER_LENGTH) {
                    fixHeaderLength(wire);
                }
                check(wire);
            }
        }
    }

    /** Decodes; returns true on success after checking the round trip. Any other exception fails the test. */
    private static boolean check(byte[] wire) {
        IkeMessage m;
        try {
            m = IkeCodec.decode(wire, 0, wire.length);
        } catch (MalformedMessageException expected) {
            return false;
        } catch (RuntimeException | Error e) {
            throw new AssertionError("decode threw " + e + " for " + java.util.HexFormat.of().formatHex(wire), e);
        }
        try {
            // encode is a function of content, so equal re-encodings mean the content survived the round trip
            byte[] again = IkeCodec.encode(m);
            if (!Arrays.equals(again, IkeCodec.encode(IkeCodec.decode(again, 0, again.length)))) {
                fail("round trip changed the content of " + java.util.HexFormat.of().formatHex(wire));
            }
        } catch (MalformedMessageException | RuntimeException e) {
            fail("decoded message does not round-trip: " + e + " for " + java.util.HexFormat.of().formatHex(wire));
        }
        return true;
    }

    private static void fixHeaderLength(byte[] wire) {
        int n = wire.length;
        wire[24] = (byte) (n >>> 24);
        wire[25] = (byte) (n >>> 16);
        wire[26] = (byte) (n >>> 8);
        wire[27] = (byte) n;
    }

    private static byte[] mutate(byte[] seed, Random rnd) {
        byte[] w = seed.clone();
        int edits = 1 + rnd.nextInt(3);
        for (int e = 0; e < edits && w.length > 0; e++) {
            int at = rnd.nextInt(w.length);
            switch (rnd.nextInt(7)) {
                case 0 -> w[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> w[at] = (byte) rnd.nextInt(256);
                case 2 -> w[at] = (byte) (rnd.nextBoolean() ? 0 : 0xFF);
                case 3 -> { // a plausible small 16-bit length somewhere
                    if (at + 1 < w.length) {
                        int v = rnd.nextInt(64);
                        w[at] = (byte) (v >>> 8);
                        w[at + 1] = (byte) v;
                    }
                }
                case 4 -> w = Arrays.copyOf(w, rnd.nextInt(w.length + 1)); // truncate
                case 5 -> { // delete a byte
                    byte[] d = new byte[w.length - 1];
                    System.arraycopy(w, 0, d, 0, at);
                    System.arraycopy(w, at + 1, d, at, w.length - at - 1);
                    w = d;
                }
                default -> { // insert random bytes
                    int n = 1 + rnd.nextInt(8);
                    byte[] d = new byte[w.length + n];
                    System.arraycopy(w, 0, d, 0, at);
                    for (int k = 0; k < n; k++) {
                        d[at + k] = (byte) rnd.nextInt(256);
                    }
                    System.arraycopy(w, at, d, at + n, w.length - at);
                    w = d;
                }
            }
        }
        return w;
    }
}
