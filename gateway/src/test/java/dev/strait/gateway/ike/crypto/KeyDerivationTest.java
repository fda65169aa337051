package dev.strait.gateway.ike.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import dev.strait.gateway.ike.crypto.KeyDerivation.ChildKeys;
import dev.strait.gateway.ike.crypto.KeyDerivation.IkeKeys;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Cross-checks against a direct transcription of RFC 7296 sections 2.13-2.18 using Mac (no package code). */
class KeyDerivationTest {
    private static final Random RANDOM = new Random(42);
    private static final PrfFunction PRF = PrfFunction.of(Prf.HMAC_SHA2_256);

    private static byte[] random(int length) {
        byte[] out = new byte[length];
        RANDOM.nextBytes(out);
        return out;
    }

    private static byte[] hmac(byte[] key, byte[]... data) throws Exception {
        return hmac("HmacSHA256", key, data);
    }

    private static byte[] hmac(String jcaName, byte[] key, byte[]... data) throws Exception {
        Mac mac = Mac.getInstance(jcaName);
        mac.init(new SecretKeySpec(key, jcaName));
        for (byte[] d : data) {
            mac.update(d);
        }
        return mac.doFinal();
    }

    private static byte[] prfPlus(byte[] key, byte[] seed, int length) throws Exception {
        return prfPlus("HmacSHA256", key, seed, length);
    }

    /** prf+ written out independently (RFC 7296 section 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). */
    static byte[] prfPlus(String jcaName, byte[] key, byte[] seed, int length) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] t = new byte[0];
        for (int n = 1; out.size() < length; n++) {
            t = hmac(jcaName, key, t, seed, new byte[] {(byte) n});
            out.write(t);
        }
        return Arrays.copyOf(out.toByteArray(), length);
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] spis(long i, long r) {
        return ByteBuffer.allocate(16).putLong(i).putLong(r).array();
    }

    private static List<byte[]> split(byte[] keymat, int... lengths) {
        List<byte[]> out = new java.util.ArrayList<>();
        int off = 0;
        for (int length : lengths) {
            out.add(Arrays.copyOfRange(keymat, off, off + length));
            off += length;
        }
        assertEquals(keymat.length, off);
        return out;
    }

    private static void assertKeys(List<byte[]> expected, IkeKeys keys) {
        assertArrayEquals(expected.get(0), keys.skD());
        assertArrayEquals(expected.get(1), keys.skAi());
        assertArrayEquals(expected.get(2), keys.skAr());
        assertArrayEquals(expected.get(3), keys.skEi());
        assertArrayEquals(expected.get(4), keys.skEr());
        assertArrayEquals(expected.get(5), keys.skPi());
        assertArrayEquals(expected.get(6), keys.skPr());
    }

    final byte[] ni = random(32);
    final byte[] nr = random(32);
    final byte[] gir = random(256);
    final long spiI = 0x0123456789abcdefL;
    final long spiR = 0xfedcba9876543210L;

    @Test
    void ikeSaKeysMatchSection214() throws Exception {
        byte[] skeyseed = hmac(cat(ni, nr), gir);
        byte[] keymat = prfPlus(skeyseed, cat(ni, nr, spis(spiI, spiR)), 32 * 3 + 2 * 16 + 2 * 32);
        IkeKeys keys = KeyDerivation.ikeSaKeys(PRF, ni, nr, gir, spiI, spiR, 16, 32);
        assertKeys(split(keymat, 32, 32, 32, 16, 16, 32, 32), keys);
        assertEquals("IkeKeys[redacted]", keys.toString());
    }

    @Test
    void aeadIkeSaKeysHaveNoIntegrityKeys() throws Exception {
        byte[] skeyseed = hmac(cat(ni, nr), gir);
        byte[] keymat = prfPlus(skeyseed, cat(ni, nr, spis(spiI, spiR)), 32 * 3 + 2 * 36);
        IkeKeys keys = KeyDerivation.ikeSaKeys(PRF, ni, nr, gir, spiI, spiR, 36, 0);
        assertKeys(split(keymat, 32, 0, 0, 36, 36, 32, 32), keys);
    }

    @Test
    void rekeyMatchesSection218() throws Exception {
        byte[] oldSkD = random(32);
        PrfFunction newPrf = PrfFunction.of(Prf.HMAC_SHA2_384);
        byte[] skeyseed = hmac(oldSkD, gir, ni, nr);
        // the new SA's keys come from the new PRF
        byte[] keymat = prfPlus("HmacSHA384", skeyseed, cat(ni, nr, spis(spiI, spiR)), 48 * 3 + 2 * 36);
        IkeKeys keys = KeyDerivation.rekeyedIkeSaKeysFromSecrets(PRF, oldSkD, newPrf, ni, nr, List.of(gir), spiI, spiR, 36, 0);
        assertKeys(split(keymat, 48, 0, 0, 36, 36, 48, 48), keys);
    }

    @Test
    void rekeyWithAdditionalKeyExchangesPutsTheirSecretsAfterTheNonces() throws Exception {
        // RFC 9370 section 2.2.4: SKEYSEED = prf(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))
        byte[] oldSkD = random(32);
        byte[] add1 = random(32);
        byte[] add2 = random(48);
        byte[] skeyseed = hmac(oldSkD, gir, ni, nr, add1, add2);
        byte[] keymat = prfPlus(skeyseed, cat(ni, nr, spis(spiI, spiR)), 32 * 3 + 2 * 36);
        IkeKeys keys = KeyDerivation.rekeyedIkeSaKeysFromSecrets(PRF, oldSkD, PRF, ni, nr, List.of(gir, add1, add2), spiI, spiR,
                36, 0);
        assertKeys(split(keymat, 32, 0, 0, 36, 36, 32, 32), keys);
    }

    @Test
    void additionalKeyUpdateMatchesRfc9370() throws Exception {
        byte[] skD = random(32);
        byte[] mlkem = random(32);
        byte[] skeyseed = hmac(skD, mlkem, ni, nr);
        byte[] keymat = prfPlus(skeyseed, cat(ni, nr, spis(spiI, spiR)), 32 * 3 + 2 * 32 + 2 * 32);
        IkeKeys keys = KeyDerivation.additionalKeyUpdate(PRF, skD, mlkem, ni, nr, spiI, spiR, 32, 32);
        assertKeys(split(keymat, 32, 32, 32, 32, 32, 32, 32), keys);
    }

    @Test
    void childKeysMatchSection217() throws Exception {
        byte[] skD = random(32);
        byte[] keymat = prfPlus(skD, cat(ni, nr), 2 * (16 + 32));
        ChildKeys keys = KeyDerivation.childSaKeys(PRF, skD, null, ni, nr, 16, 32);
        List<byte[]> parts = split(keymat, 16, 32, 16, 32);
        assertArrayEquals(parts.get(0), keys.encI());
        assertArrayEquals(parts.get(1), keys.integI());
        assertArrayEquals(parts.get(2), keys.encR());
        assertArrayEquals(parts.get(3), keys.integR());
        assertEquals("ChildKeys[redacted]", keys.toString());

        byte[] pfs = prfPlus(skD, cat(gir, ni, nr), 2 * 36);
        ChildKeys withPfs = KeyDerivation.childSaKeys(PRF, skD, gir, ni, nr, 36, 0);
        assertArrayEquals(Arrays.copyOfRange(pfs, 0, 36), withPfs.encI());
        assertArrayEquals(Arrays.copyOfRange(pfs, 36, 72), withPfs.encR());
        assertEquals(0, withPfs.integI().length);

        // RFC 9370 section 2.2.4: KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))
        byte[] mlkem = random(32);
        byte[] hybrid = prfPlus(skD, cat(gir, ni, nr, mlkem), 2 * 36);
        ChildKeys withAddKe = KeyDerivation.childSaKeysFromSecrets(PRF, skD, List.of(gir, mlkem), ni, nr, 36, 0);
        assertArrayEquals(Arrays.copyOfRange(hybrid, 0, 36), withAddKe.encI());
        assertArrayEquals(Arrays.copyOfRange(hybrid, 36, 72), withAddKe.encR());
    }

    @Test
    void everyInputChangesTheOutput() {
        IkeKeys base = KeyDerivation.ikeSaKeys(PRF, ni, nr, gir, spiI, spiR, 32, 32);
        byte[] flippedGir = gir.clone();
        flippedGir[255] ^= 1;
        byte[] flippedNi = ni.clone();
        flippedNi[0] ^= 1;
        byte[] flippedNr = nr.clone();
        flippedNr[31] ^= 1;
        List<IkeKeys> variants = List.of(
                KeyDerivation.ikeSaKeys(PRF, flippedNi, nr, gir, spiI, spiR, 32, 32),
                KeyDerivation.ikeSaKeys(PRF, ni, flippedNr, gir, spiI, spiR, 32, 32),
                KeyDerivation.ikeSaKeys(PRF, ni, nr, flippedGir, spiI, spiR, 32, 32),
                KeyDerivation.ikeSaKeys(PRF, ni, nr, gir, spiI ^ 1, spiR, 32, 32),
                KeyDerivation.ikeSaKeys(PRF, ni, nr, gir, spiI, spiR ^ 1, 32, 32),
                KeyDerivation.ikeSaKeys(PrfFunction.of(Prf.HMAC_SHA2_512), ni, nr, gir, spiI, spiR, 32, 32),
                // swapping the nonces must matter too (order is part of the input)
                KeyDerivation.ikeSaKeys(PRF, nr, ni, gir, spiI, spiR, 32, 32));
        for (IkeKeys variant : variants) {
            assertFalse(Arrays.equals(base.skD(), variant.skD()));
            assertFalse(Arrays.equals(base.skEi(), variant.skEi()));
            assertFalse(Arrays.equals(base.skPr(), variant.skPr()));
        }
        // the seven keys are distinct from one another
        List<byte[]> all = List.of(base.skD(), base.skAi(), base.skAr(), base.skEi(), base.skEr(), base.skPi(),
                base.skPr());
        assertEquals(7, all.stream().map(java.util.HexFormat.of()::formatHex).distinct().count());
        assertTrue(Arrays.stream(new int[] {base.skD().length, base.skPi().length}).allMatch(l -> l == 32));
    }
}
