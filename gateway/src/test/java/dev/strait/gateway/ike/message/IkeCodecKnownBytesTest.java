package dev.strait.gateway.ike.message;

import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.message.Payload.Proposal;
import dev.strait.gateway.ike.message.Payload.Transform;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static dev.strait.gateway.ike.message.ContentAssertions.assertSameContent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Byte-exact encodings worked out by hand from the RFC 7296 section 3 diagrams. */
class IkeCodecKnownBytesTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void ikeSaInitRequestHeaderSaAndNonce() throws Exception {
        byte[] nonce = new byte[16];
        Arrays.fill(nonce, (byte) 0xAA);
        IkeMessage m = new IkeMessage(0x0102030405060708L, 0, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_INITIATOR, 0,
                List.of(new Payload.Sa(List.of(new Proposal(1, Proposal.PROTOCOL_IKE, new byte[0], List.of(
                                new Transform(Transform.TYPE_ENCR, 12, 128),   // ENCR_AES_CBC, Key Length 128
                                new Transform(Transform.TYPE_PRF, 5, null),    // PRF_HMAC_SHA2_256
                                new Transform(Transform.TYPE_INTEG, 12, null), // AUTH_HMAC_SHA2_256_128
                                new Transform(Transform.TYPE_KE, 14, null))))), // 2048-bit MODP
                        new Payload.Nonce(nonce)));
        String expected = ""
                // IKE header: SPIi, SPIr, next=SA(33), version 2.0, IKE_SA_INIT(34), flags I, message ID 0, length 96
                + "0102030405060708" + "0000000000000000" + "21" + "20" + "22" + "08" + "00000000" + "00000060"
                // SA generic header: next=Nonce(40), C=0, length 48
                + "28000030"
                // proposal: last(0), reserved, length 44, #1, IKE(1), SPI size 0, 4 transforms
                + "0000002c" + "01010004"
                // transform: more(3), length 12, ENCR(1), id 12, attribute AF=1 type 14 value 128
                + "0300000c" + "0100000c" + "800e0080"
                // transform: more(3), length 8, PRF(2), id 5
                + "03000008" + "02000005"
                // transform: more(3), length 8, INTEG(3), id 12
                + "03000008" + "0300000c"
                // transform: last(0), length 8, KE(4), id 14
                + "00000008" + "0400000e"
                // Nonce generic header: next=none, length 20, then 16 bytes
                + "00000014" + "aa".repeat(16);
        byte[] wire = IkeCodec.encode(m);
        assertEquals(expected, HEX.formatHex(wire));
        assertSameContent(m, IkeCodec.decode(wire, 0, wire.length));
    }

    @Test
    void trafficSelectorDeleteNotifyAndSkfLayouts() throws Exception {
        List<Payload> chain = List.of(
                new Payload.TrafficSelectors(true, List.of(new Payload.TrafficSelector(
                        Payload.TrafficSelector.TS_IPV4_ADDR_RANGE, 6, 16, 443,
                        HEX.parseHex("c0a80a00"), HEX.parseHex("c0a80aff")))),
                new Payload.Delete(Proposal.PROTOCOL_ESP, 4, List.of(HEX.parseHex("c1d2e3f4"))),
                new Payload.Notify(Proposal.PROTOCOL_ESP, HEX.parseHex("c1d2e3f4"), NotifyType.REKEY_SA, new byte[0]),
                new Payload.KeyExchange(31, HEX.parseHex("0102")),
                new Payload.EncryptedFragment(PayloadType.IDI, 1, 2, HEX.parseHex("deadbeef")));
        String expected = ""
                // TSi: next=D(42), length 24; 1 TS, reserved; TS_IPV4_ADDR_RANGE, TCP, length 16, ports 16..443
                + "2a000018" + "01000000" + "07060010" + "0010" + "01bb" + "c0a80a00" + "c0a80aff"
                // D: next=N(41), length 12; ESP, SPI size 4, 1 SPI
                + "2900000c" + "03040001" + "c1d2e3f4"
                // N: next=KE(34), length 12; ESP, SPI size 4, REKEY_SA(16393)
                + "2200000c" + "03044009" + "c1d2e3f4"
                // KE: next=SKF(53), length 10; group 31, 2 reserved bytes, data
                + "3500000a" + "001f0000" + "0102"
                // SKF: next=IDi(35) as first inner payload, length 12; fragment 1 of 2, body
                + "2300000c" + "00010002" + "deadbeef";
        IkeCodec.Chain encoded = IkeCodec.encodeChain(chain);
        assertEquals(PayloadType.TSI, encoded.firstType());
        assertEquals(expected, HEX.formatHex(encoded.bytes()));
        assertSameContent(chain, IkeCodec.decodeChain(PayloadType.TSI, encoded.bytes(), 0, encoded.bytes().length));
    }

    @Test
    void idAuthCpAndCertReqLayouts() throws Exception {
        List<Payload> chain = List.of(
                new Payload.Identification(false, Payload.Identification.ID_FQDN, "a.b".getBytes()),
                new Payload.Auth(2, HEX.parseHex("0102")),
                new Payload.Configuration(1, List.of(new Payload.ConfigAttribute(1, new byte[0]),
                        new Payload.ConfigAttribute(3, HEX.parseHex("0a000001")))),
                new Payload.CertReq(4, new byte[20]));
        String expected = ""
                // IDr: next=AUTH(39), length 11; ID_FQDN, 3 reserved, "a.b"
                + "2700000b" + "02000000" + "612e62"
                // AUTH: next=CP(47), length 10; shared key MIC(2), 3 reserved, data
                + "2f00000a" + "02000000" + "0102"
                // CP: next=CERTREQ(38), length 20; CFG_REQUEST, reserved; attr 1 empty; attr 3 length 4
                + "26000014" + "01000000" + "00010000" + "00030004" + "0a000001"
                // CERTREQ: next=none, length 25; X.509 signature(4), one SHA-1 hash
                + "00000019" + "04" + "00".repeat(20);
        assertEquals(expected, HEX.formatHex(IkeCodec.encodeChain(chain).bytes()));
    }
}
