package dev.strait.gateway.ike.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.crypto.AEADBadTagException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SkCipherTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] msg(String aad, String iv, String body, int icvLength) {
        return Bytes.concat(HEX.parseHex(aad), HEX.parseHex(iv), HEX.parseHex(body), new byte[icvLength]);
    }

    /** GCM specification test case 16 framed as RFC 4106/5282: salt = cafebabe, explicit IV = facedbaddecaf888. */
    @Test
    void aesGcmSpecTestCase16() throws Exception {
        String key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
        String aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
        String plaintext = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
        String ciphertext = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
        String tag = "76fc6ece0f4e1768cddf8853bb2d551b";
        byte[] keyMaterial = HEX.parseHex(key + "cafebabe");

        var sealer = new AeadSkCipher(Encr.AES_GCM_16, 256, keyMaterial, 0xfacedbaddecaf888L);
        byte[] message = msg(aad, "0000000000000000", plaintext, 16);
        sealer.seal(message, 20);
        assertEquals(aad + "facedbaddecaf888" + ciphertext + tag, HEX.formatHex(message));

        SkCipher opener = SkCipher.of(Encr.AES_GCM_16, 256, null, keyMaterial, null);
        assertEquals(plaintext, HEX.formatHex(opener.open(message, 20)));
    }

    /** RFC 8439 section 2.8.2 framed as RFC 7634: salt = 07000000, IV = 4041424344454647. */
    @Test
    void chacha20Poly1305Rfc8439() throws Exception {
        String key = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
        String aad = "50515253c0c1c2c3c4c5c6c7";
        byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
                + "future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        String ciphertext = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb"
                + "69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b48"
                + "31d7bc3ff4def08e4b7a9de576d26586cec64b6116";
        String tag = "1ae10b594f09e26a7e902ecbd0600691";
        byte[] keyMaterial = HEX.parseHex(key + "07000000");

        var sealer = new AeadSkCipher(Encr.CHACHA20_POLY1305, 256, keyMaterial, 0x4041424344454647L);
        byte[] message = msg(aad, "0000000000000000", HEX.formatHex(plaintext), 16);
        sealer.seal(message, 12);
        assertEquals(aad + "4041424344454647" + ciphertext + tag, HEX.formatHex(message));
        SkCipher opener = SkCipher.of(Encr.CHACHA20_POLY1305, 256, null, keyMaterial, null);
        assertArrayEquals(plaintext, opener.open(message, 12));
    }

    private static byte[] hmac(String jca, byte[] key, byte[] data, int length, int truncate) throws Exception {
        Mac mac = Mac.getInstance(jca);
        mac.init(new SecretKeySpec(key, jca));
        mac.update(data, 0, length);
        return Arrays.copyOf(mac.doFinal(), truncate);
    }

    /** RFC 3602 case 2 (AES-128-CBC) inside an SK layout with an independently computed HMAC-SHA-256-128 ICV. */
    @Test
    void aesCbcRfc3602() throws Exception {
        byte[] integKey = new byte[32];
        Arrays.fill(integKey, (byte) 0x0b);
        byte[] message = msg("00112233445566778899", "562e17996d093d28ddb3ba695a2e6f58",
                "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1", 16);
        byte[] icv = hmac("HmacSHA256", integKey, message, message.length - 16, 16);
        System.arraycopy(icv, 0, message, message.length - 16, 16);
        SkCipher cipher = SkCipher.of(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128,
                HEX.parseHex("c286696d887c9aa0611bbb3e2025a45a"), integKey);
        assertEquals("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                HEX.formatHex(cipher.open(message, 10)));
    }

    /** RFC 3713 Camellia-128/256 single block: CBC with a zero IV equals the ECB vector. */
    @Test
    void camelliaRfc3713() throws Exception {
        byte[] integKey = new byte[48];
        for (String[] v : new String[][] {
            {"0123456789abcdeffedcba9876543210", "67673138549669730857065648eabe43"},
            {"0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff", "9acc237dff16d76c20ef7c919e3a7509"}}) {
            byte[] message = msg("aabb", "00000000000000000000000000000000", v[1], 24);
            System.arraycopy(hmac("HmacSHA384", integKey, message, message.length - 24, 24), 0, message,
                    message.length - 24, 24);
            SkCipher cipher = SkCipher.of(Encr.CAMELLIA_CBC, v[0].length() * 4, Integ.HMAC_SHA2_384_192,
                    HEX.parseHex(v[0]), integKey);
            assertEquals("0123456789abcdeffedcba9876543210", HEX.formatHex(cipher.open(message, 2)));
        }
    }

    /** RFC 4868 section 2.7.2.1 test case 1: HMAC-SHA-256 with a 32-byte key, truncated to 128 bits. */
    @Test
    void rfc4868Truncation() {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 0x0b);
        byte[] data = "Hi There".getBytes(StandardCharsets.US_ASCII);
        byte[] icv = CbcHmacSkCipher.truncatedHmac(new HmacPrf.MacFactory("HmacSHA256"), Integ.HMAC_SHA2_256_128, key,
                data, data.length);
        assertEquals("198a607eb44bfbc69903a0f1cf2bbdc5", HEX.formatHex(icv));
    }

    static Stream<Arguments> suites() {
        return Stream.of(
                Arguments.of(Encr.AES_GCM_16, 128, null), Arguments.of(Encr.AES_GCM_16, 256, null),
                Arguments.of(Encr.CHACHA20_POLY1305, 256, null),
                Arguments.of(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128),
                Arguments.of(Encr.AES_CBC, 256, Integ.HMAC_SHA2_512_256),
                Arguments.of(Encr.CAMELLIA_CBC, 192, Integ.HMAC_SHA2_384_192),
                Arguments.of(Encr.AES_CBC, 256, Integ.HMAC_SHA1_96));
    }

    private static SkCipher cipher(Encr encr, int keyBits, Integ integ, long seed) {
        Random random = new Random(seed);
        byte[] encKey = new byte[encr.keyMaterialLength(keyBits)];
        random.nextBytes(encKey);
        byte[] integKey = integ == null ? null : new byte[integ.keyLength];
        if (integKey != null) {
            random.nextBytes(integKey);
        }
        return SkCipher.of(encr, keyBits, integ, encKey, integKey);
    }

    private static byte[] layout(SkCipher c, int aadLength, byte[] plaintext) {
        byte[] message = new byte[aadLength + c.ivLength() + plaintext.length + c.icvLength()];
        for (int i = 0; i < aadLength; i++) {
            message[i] = (byte) (0x40 + i);
        }
        System.arraycopy(plaintext, 0, message, aadLength + c.ivLength(), plaintext.length);
        return message;
    }

    @ParameterizedTest
    @MethodSource("suites")
    void roundTripAndTamperDetection(Encr encr, int keyBits, Integ integ) throws Exception {
        SkCipher sender = cipher(encr, keyBits, integ, 7);
        SkCipher receiver = cipher(encr, keyBits, integ, 7);
        assertEquals(encr.ivLength, sender.ivLength());
        assertEquals(integ == null ? 16 : integ.icvLength, sender.icvLength());
        byte[] plaintext = new byte[sender.padTo() == 16 ? 64 : 61];
        new Random(1).nextBytes(plaintext);
        int aad = 32;
        byte[] message = layout(sender, aad, plaintext);
        sender.seal(message, aad);
        byte[] body = Arrays.copyOfRange(message, aad + sender.ivLength(), aad + sender.ivLength() + plaintext.length);
        assertFalse(Arrays.equals(plaintext, body), "ciphertext must differ from plaintext");
        assertArrayEquals(plaintext, receiver.open(message.clone(), aad));

        int[] flips = {3, aad + 1, aad + sender.ivLength() + 5, message.length - 1}; // AAD, IV, ciphertext, ICV
        for (int position : flips) {
            byte[] tampered = message.clone();
            tampered[position] ^= 0x01;
            assertThrows(AEADBadTagException.class, () -> receiver.open(tampered, aad), "flip at " + position);
        }
        // wrong key
        assertThrows(AEADBadTagException.class, () -> cipher(encr, keyBits, integ, 8).open(message.clone(), aad));
        // truncated
        assertThrows(AEADBadTagException.class, () -> receiver.open(Arrays.copyOf(message, aad + 4), aad));
    }

    @ParameterizedTest
    @MethodSource("suites")
    void ivsNeverRepeatAcrossThreads(Encr encr, int keyBits, Integ integ) throws Exception {
        SkCipher sender = cipher(encr, keyBits, integ, 3);
        SkCipher receiver = cipher(encr, keyBits, integ, 3);
        byte[] plaintext = new byte[32];
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> ivs = new java.util.ArrayList<>();
            for (int i = 0; i < 400; i++) {
                ivs.add(executor.submit(() -> {
                    byte[] message = layout(sender, 8, plaintext);
                    sender.seal(message, 8);
                    assertArrayEquals(plaintext, receiver.open(message, 8));
                    return Arrays.copyOfRange(message, 8, 8 + sender.ivLength());
                }));
            }
            Set<String> seen = new HashSet<>();
            for (Future<byte[]> iv : ivs) {
                seen.add(HEX.formatHex(iv.get()));
            }
            assertEquals(400, seen.size());
        }
    }

    @Test
    void refusesBadConfiguration() {
        assertThrows(IllegalArgumentException.class,
                () -> SkCipher.of(Encr.AES_GCM_16, 256, Integ.HMAC_SHA2_256_128, new byte[36], new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> SkCipher.of(Encr.AES_GCM_16, 256, null, new byte[32], null));
        assertThrows(IllegalArgumentException.class, () -> SkCipher.of(Encr.CHACHA20_POLY1305, 128, null, new byte[20], null));
        assertThrows(IllegalArgumentException.class, () -> SkCipher.of(Encr.AES_CBC, 128, null, new byte[16], null));
        assertThrows(IllegalArgumentException.class,
                () -> SkCipher.of(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128, new byte[16], new byte[16]));
        SkCipher cbc = SkCipher.of(Encr.AES_CBC, 128, Integ.HMAC_SHA2_256_128, new byte[16], new byte[32]);
        assertThrows(IllegalArgumentException.class, () -> cbc.seal(new byte[8 + 16 + 15 + 16], 8));
        assertEquals("CbcHmacSkCipher[AES_CBC, HMAC_SHA2_256_128, keys redacted]", cbc.toString());
    }
}
