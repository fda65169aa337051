package dev.strait.gateway.ike.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.crypto.Algorithms.Group;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class KeyExchangeTest {
    private static final HexFormat HEX = HexFormat.of();

    /** RFC 5903 section 8: i, g^i (x || y), r, g^r (x || y), g^ir (x). */
    @ParameterizedTest
    @CsvSource({
        "ECP_256, c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433,"
                + " dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
                + "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3,"
                + " c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53,"
                + " d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
                + "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab,"
                + " d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
        "ECP_384, 099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194,"
                + " 667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa"
                + "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c,"
                + " 41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc,"
                + " e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571"
                + "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c,"
                + " 11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746",
        "ECP_521, 0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a095aa85a30fe1c2952c6771d937ba9777"
                + "f5957b2639bab072462f68c27a57382d4a52,"
                + " 0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbee1e3bf42e00b8e380aeae57c2d1075649418"
                + "85942af5a7f4601723c4195d176ced3e"
                + "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10ad8a788015ac405d7799dc75e7b7d5b6cf226"
                + "1a6a7f1507438bf01beb6ca3926f9582,"
                + " 0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e9c677d600b343757a3bdbf2a3163e4c2f869"
                + "cca7458aa4a4effc311f5cb151685eb9,"
                + " 00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a219b97c356436adc6e95bb0352f6be64a6c291"
                + "2d4ef2d0433ced2b6171640012d9460f"
                + "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87220b6536c5c408a1d2aebb8e86d678ae49cb"
                + "57091f4732296579ab44fcd17f0fc56a,"
                + " 01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04d1427e73ca4baa240a34786859810c06b3c7"
                + "15a3a8cc3151f2bee417996d19f3ddea",
    })
    void rfc5903Vectors(Group group, String i, String gi, String r, String gr, String gir) throws Exception {
        EcpKeyExchange initiator = EcpKeyExchange.fromPrivate(group, HEX.parseHex(i));
        EcpKeyExchange responder = EcpKeyExchange.fromPrivate(group, HEX.parseHex(r));
        assertEquals(gi, HEX.formatHex(initiator.publicValue()));
        assertEquals(gr, HEX.formatHex(responder.publicValue()));
        assertArrayEquals(HEX.parseHex(gr), responder.respond(HEX.parseHex(gi)));
        assertEquals(gir, HEX.formatHex(initiator.sharedSecret(HEX.parseHex(gr))));
        assertEquals(gir, HEX.formatHex(responder.sharedSecret(null)));
    }

    @Test
    void rfc7748X25519() throws Exception {
        var alice = MontgomeryKeyExchange.fromPrivate(Group.CURVE25519,
                HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        var bob = MontgomeryKeyExchange.fromPrivate(Group.CURVE25519,
                HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                HEX.formatHex(alice.publicValue()));
        assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
                HEX.formatHex(bob.publicValue()));
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertEquals(shared, HEX.formatHex(alice.sharedSecret(bob.publicValue())));
        bob.respond(alice.publicValue());
        assertEquals(shared, HEX.formatHex(bob.sharedSecret(null)));
    }

    @Test
    void rfc7748X448() throws Exception {
        var alice = MontgomeryKeyExchange.fromPrivate(Group.CURVE448, HEX.parseHex(
                "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b"));
        var bob = MontgomeryKeyExchange.fromPrivate(Group.CURVE448, HEX.parseHex(
                "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d"));
        assertEquals("9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
                HEX.formatHex(alice.publicValue()));
        assertEquals("3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
                HEX.formatHex(bob.publicValue()));
        assertEquals("07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d",
                HEX.formatHex(alice.sharedSecret(bob.publicValue())));
    }

    @ParameterizedTest
    @EnumSource(Group.class)
    void bothSidesAgree(Group group) throws Exception {
        KeyExchange initiator = KeyExchange.generate(group);
        KeyExchange responder = KeyExchange.generate(group);
        assertEquals(group, initiator.group());
        byte[] answer = responder.respond(initiator.publicValue());
        byte[] secretI = initiator.sharedSecret(answer);
        byte[] secretR = responder.sharedSecret(null);
        assertArrayEquals(secretI, secretR);
        assertEquals(expectedSecretLength(group), secretI.length);
        assertFalse(Arrays.equals(new byte[secretI.length], secretI));
        // a second exchange yields a different secret (fresh ephemeral keys)
        KeyExchange other = KeyExchange.generate(group);
        assertFalse(Arrays.equals(secretI, other.sharedSecret(KeyExchange.generate(group).respond(other.publicValue()))));
    }

    private static int expectedSecretLength(Group group) {
        return switch (group) {
            case MODP_2048 -> 256;
            case MODP_3072 -> 384;
            case MODP_4096 -> 512;
            case ECP_256, CURVE25519, ML_KEM_768, ML_KEM_1024 -> 32;
            case ECP_384 -> 48;
            case ECP_521 -> 66;
            case CURVE448 -> 56;
        };
    }

    @Test
    void modpPublicValueIsFixedLengthAndExponentIsShort() {
        for (int i = 0; i < 20; i++) {
            assertEquals(256, KeyExchange.generate(Group.MODP_2048).publicValue().length);
        }
        assertEquals(256, ModpKeyExchange.spec(Group.MODP_2048).getL());
        assertEquals(256, ModpKeyExchange.spec(Group.MODP_3072).getL());
        assertEquals(304, ModpKeyExchange.spec(Group.MODP_4096).getL());
        // RFC 3526 section 3: the 2048-bit prime starts with 64 one bits and C90FDAA2 (pi), ends with 64 one bits
        BigInteger p = ModpKeyExchange.spec(Group.MODP_2048).getP();
        assertEquals(2048, p.bitLength());
        assertTrue(HEX.formatHex(Bytes.fixedLength(p, 256)).startsWith("ffffffffffffffffc90fdaa2"));
        assertTrue(HEX.formatHex(Bytes.fixedLength(p, 256)).endsWith("ffffffffffffffff"));
    }

    @Test
    void modpRejectsDegeneratePeerValues() {
        BigInteger p = ModpKeyExchange.spec(Group.MODP_2048).getP();
        for (BigInteger bad : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, p.subtract(BigInteger.ONE), p,
                p.add(BigInteger.ONE)}) {
            byte[] value = bad.bitLength() > 2048 ? allOnes(256) : Bytes.fixedLength(bad, 256);
            KeyExchange ke = KeyExchange.generate(Group.MODP_2048);
            GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> ke.sharedSecret(value));
            assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        }
        KeyExchange ke = KeyExchange.generate(Group.MODP_2048);
        byte[] good = KeyExchange.generate(Group.MODP_2048).publicValue();
        assertThrows(GeneralSecurityException.class, () -> ke.sharedSecret(Arrays.copyOf(good, 255)));
        assertThrows(GeneralSecurityException.class, () -> ke.sharedSecret(Arrays.copyOf(good, 257)));
        assertThrows(GeneralSecurityException.class, () -> ke.respond(null));
    }

    private static byte[] allOnes(int length) {
        byte[] out = new byte[length];
        Arrays.fill(out, (byte) 0xff);
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = Group.class, names = {"ECP_256", "ECP_384", "ECP_521"})
    void ecpRejectsPointsOffTheCurve(Group group) {
        KeyExchange ke = KeyExchange.generate(group);
        byte[] peer = KeyExchange.generate(group).publicValue();
        peer[peer.length - 1] ^= 1; // y changed: no longer on the curve
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> ke.sharedSecret(peer));
        assertTrue(e.getMessage().contains("not on the curve"), e.getMessage());
        assertThrows(GeneralSecurityException.class, () -> ke.sharedSecret(new byte[peer.length]));
        assertThrows(GeneralSecurityException.class, () -> ke.sharedSecret(allOnes(peer.length)));
        byte[] withPrefix = new byte[peer.length + 1];
        withPrefix[0] = 4;
        assertThrows(GeneralSecurityException.class, () -> ke.sharedSecret(withPrefix));
    }

    @ParameterizedTest
    @EnumSource(value = Group.class, names = {"CURVE25519", "CURVE448"})
    void montgomeryRejectsLowOrderPointsAndBadLengths(Group group) {
        KeyExchange ke = KeyExchange.generate(group);
        int length = ke.publicValue().length;
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> ke.sharedSecret(new byte[length]));
        assertTrue(e.getMessage().contains("all zeros"), e.getMessage());
        byte[] one = new byte[length];
        one[0] = 1; // u = 1 has small order on both curves
        assertThrows(GeneralSecurityException.class, () -> KeyExchange.generate(group).sharedSecret(one));
        assertThrows(GeneralSecurityException.class,
                () -> KeyExchange.generate(group).sharedSecret(new byte[length - 1]));
    }

    @ParameterizedTest
    @EnumSource(value = Group.class, names = {"ML_KEM_768", "ML_KEM_1024"})
    void mlKemRejectsMalformedInput(Group group) throws Exception {
        KeyExchange initiator = KeyExchange.generate(group);
        byte[] ek = initiator.publicValue();
        assertEquals(group == Group.ML_KEM_768 ? 1184 : 1568, ek.length);
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> KeyExchange.generate(group).respond(Arrays.copyOf(ek, ek.length - 1)));
        assertTrue(e.getMessage().contains("must be"), e.getMessage());
        assertThrows(GeneralSecurityException.class, () -> KeyExchange.generate(group).respond(allOnes(ek.length)));
        byte[] ct = KeyExchange.generate(group).respond(ek);
        assertEquals(group == Group.ML_KEM_768 ? 1088 : 1568, ct.length);
        assertThrows(GeneralSecurityException.class, () -> initiator.sharedSecret(Arrays.copyOf(ct, 100)));
        // a tampered ciphertext decapsulates (implicit rejection) to a different key, never the real one
        KeyExchange i2 = KeyExchange.generate(group);
        KeyExchange r2 = KeyExchange.generate(group);
        byte[] ct2 = r2.respond(i2.publicValue());
        ct2[0] ^= 1;
        assertNotEquals(HEX.formatHex(r2.sharedSecret(null)), HEX.formatHex(i2.sharedSecret(ct2)));
    }

    @Test
    void toStringHasNoKeyMaterial() {
        for (Group group : Group.values()) {
            String text = KeyExchange.generate(group).toString();
            assertTrue(text.contains(group.name()), text);
            assertTrue(text.length() < 60, text);
        }
    }
}
