package dev.strait.gateway.ike.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PrfFunctionTest {
    private static final HexFormat HEX = HexFormat.of();

    /** RFC 4231 test cases 1 and 2. */
    @ParameterizedTest
    @CsvSource({
        "HMAC_SHA2_256, 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b, 4869205468657265,"
                + " b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "HMAC_SHA2_384, 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b, 4869205468657265,"
                + " afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
        "HMAC_SHA2_512, 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b, 4869205468657265,"
                + " 87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        "HMAC_SHA2_256, 4a656665, 7768617420646f2079612077616e7420666f72206e6f7468696e673f,"
                + " 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "HMAC_SHA2_384, 4a656665, 7768617420646f2079612077616e7420666f72206e6f7468696e673f,"
                + " af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
        "HMAC_SHA2_512, 4a656665, 7768617420646f2079612077616e7420666f72206e6f7468696e673f,"
                + " 164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    })
    void rfc4231Vectors(Prf alg, String key, String data, String expected) {
        PrfFunction prf = PrfFunction.of(alg);
        byte[] d = HEX.parseHex(data);
        assertEquals(expected, HEX.formatHex(prf.compute(HEX.parseHex(key), d)));
        // data given in pieces is concatenated
        byte[] a = java.util.Arrays.copyOfRange(d, 0, 3);
        byte[] b = java.util.Arrays.copyOfRange(d, 3, d.length);
        assertEquals(expected, HEX.formatHex(prf.compute(HEX.parseHex(key), a, b)));
    }

    @ParameterizedTest
    @EnumSource(value = Prf.class, names = {"HMAC_SHA2_256", "HMAC_SHA2_384", "HMAC_SHA2_512"})
    void prfPlusMatchesSection213(Prf alg) throws Exception {
        PrfFunction prf = PrfFunction.of(alg);
        byte[] key = "prf+ key".getBytes(StandardCharsets.US_ASCII);
        byte[] seed = "seed material".getBytes(StandardCharsets.US_ASCII);
        int length = 3 * alg.outputLength + 7;
        byte[] out = prf.plus(key, seed, length);
        assertEquals(length, out.length);
        assertArrayEquals(KeyDerivationTest.prfPlus(alg.jcaName, key, seed, length), out);
        // a shorter request is a prefix of a longer one
        assertArrayEquals(java.util.Arrays.copyOf(out, 5), prf.plus(key, seed, 5));
    }

    @Test
    void prfPlusRefusesMoreThan255Blocks() {
        PrfFunction prf = PrfFunction.of(Prf.HMAC_SHA2_256);
        assertEquals(255 * 32, prf.plus(new byte[] {1}, new byte[0], 255 * 32).length);
        assertThrows(IllegalArgumentException.class, () -> prf.plus(new byte[] {1}, new byte[0], 255 * 32 + 1));
    }

    @Test
    void sharedInstanceIsThreadSafe() throws Exception {
        PrfFunction prf = PrfFunction.of(Prf.HMAC_SHA2_256);
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                byte[] key = {(byte) i, 1, 2, 3};
                byte[] expected = prf.compute(key, new byte[] {(byte) i});
                results.add(executor.submit(() -> {
                    for (int j = 0; j < 50; j++) {
                        if (!java.util.Arrays.equals(expected, prf.compute(key, new byte[] {key[0]}))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertEquals(true, result.get());
            }
        }
    }
}
