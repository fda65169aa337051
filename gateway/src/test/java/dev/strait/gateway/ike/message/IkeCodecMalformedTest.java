package dev.strait.gateway.ike.message;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each broken field gets its own clear reason; nothing but MalformedMessageException escapes. */
class IkeCodecMalformedTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String SPIS = "1122334455667788" + "99aabbccddeeff00";

    /** A message from a raw payload chain, with a correct header length. */
    static byte[] message(int firstType, String chainHex) {
        byte[] chain = HEX.parseHex(chainHex);
        String header = SPIS + String.format("%02x", firstType) + "20" + "25" /* INFORMATIONAL */ + "08" + "00000001"
                + String.format("%08x", 28 + chain.length);
        return HEX.parseHex(header + chainHex);
    }

    static String reason(byte[] wire) {
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> IkeCodec.decode(wire, 0, wire.length));
        return e.getMessage();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            payload length below 4        | 41 | 00000003                                           | below 4
            payload length past the end   | 41 | 00000010 00004000                                  | exceeds
            truncated payload header      | 41 | 0000                                               | header truncated
            trailing bytes                | 41 | 00000008 00004000 ff                               | after the last payload
            next payload past the end     | 41 | 29000008 00004000                                  | truncated
            SA proposal length too big    | 33 | 00000010 00000040 01010001 00000008 01000000         | proposal length 64
            SA last proposal marked more  | 33 | 00000014 02000010 01010001 00000008 01000000         | marked not last
            SA bad last-substruc          | 33 | 00000014 01000010 01010001 00000008 01000000         | neither 0 nor 2
            SA bytes after last proposal  | 33 | 00000018 00000010 01010001 00000008 01000000 00000000 | after the proposal marked last
            proposal counts 2 transforms  | 33 | 00000014 00000010 01010002 00000008 01000000         | has last-substruc 0
            proposal counts 1 of 2        | 33 | 0000001c 00000018 01010001 00000008 01000000 00000008 02000005 | after its 1 transforms
            proposal without transforms   | 33 | 0000000c 00000008 01010000                         | no transforms
            transform length too big      | 33 | 00000014 00000010 01010001 00000020 01000000         | transform length 32
            key length in TLV format      | 33 | 00000018 00000014 01010001 0000000c 0100000c 000e0000 | not in TV format
            unknown transform attribute   | 33 | 00000018 00000014 01010001 0000000c 0100000c 80010080 | attribute type 1
            duplicate key length          | 33 | 0000001c 00000018 01010001 00000010 0100000c 800e0080 800e0100 | duplicate
            proposal SPI past its end     | 33 | 00000014 00000010 01011001 00000008 01000000         | proposal SPI truncated
            KE without data               | 34 | 00000008 000e0000                                  | without key exchange data
            KE shorter than its header    | 34 | 00000006 000e                                      | KE reserved truncated
            nonce of 15 bytes             | 40 | 00000013 000102030405060708090a0b0c0d0e            | nonce length 15
            IPv4 ID of 5 bytes            | 35 | 0000000d 01000000 0a00000102                       | ID type 1 with 5 bytes
            empty FQDN ID                 | 36 | 00000008 02000000                                  | ID type 2 with 0 bytes
            AUTH without data             | 39 | 00000008 02000000                                  | without authentication data
            CERT without data             | 37 | 00000005 04                                        | without certificate data
            CERTREQ not a multiple of 20  | 38 | 00000009 0401020304                                | not a multiple of 20
            N SPI past the payload        | 41 | 0000000a 03084009 0102                             | N SPI truncated
            D ESP with 8-byte SPI size    | 42 | 00000010 03080001 0102030405060708                 | D SPI size 8
            D SPI count mismatch          | 42 | 0000000c 03040002 01020304                         | for 2 SPIs
            D unknown protocol            | 42 | 00000008 07000000                                  | protocol ID 7
            TS with no selectors          | 44 | 00000008 00000000                                  | no selectors
            TS v4 length 20               | 44 | 0000001c 01000000 07000014 0000ffff 0a000000 0affffff 00000000 | length 20, expected 16
            TS v6 length 16               | 45 | 00000018 01000000 08000010 0000ffff 0a000000 0affffff | length 16, expected 40
            TS unknown type               | 44 | 00000018 01000000 09000010 0000ffff 0a000000 0affffff | unsupported traffic selector type 9
            TS count above selectors      | 44 | 00000018 02000000 07000010 0000ffff 0a000000 0affffff | TS type truncated
            CP attribute past the end     | 47 | 0000000c 01000000 00010008                         | CP attribute value truncated
            EAP length mismatch           | 48 | 0000000d 020100ff 0175736572                       | EAP length 255
            EAP too short                 | 48 | 00000006 0201                                      | below 4
            SKF fragment 0                | 53 | 2300000c 00000002 deadbeef                         | fragment number 0 of 2
            SKF fragment beyond total     | 53 | 2300000c 00030002 deadbeef                         | fragment number 3 of 2
            bytes after SK                | 46 | 23000008 deadbeef 00000004                         | must be the last payload
            """)
    void rejectsWithReason(String name, int firstType, String chainHex, String reasonPart) {
        String reason = reason(message(firstType, chainHex.replace(" ", "")));
        assertTrue(reason.contains(reasonPart), name + ": reason was '" + reason + "'");
    }

    @Test
    void headerShorterThan28Bytes() {
        byte[] wire = HEX.parseHex(SPIS + "00202508000000");
        assertTrue(reason(wire).contains("shorter than the 28-byte IKE header"));
    }

    @Test
    void headerLengthMustEqualTheDatagram() {
        byte[] wire = message(0, "");
        wire[27] = 29;
        assertTrue(reason(wire).contains("header length 29 differs from datagram length 28"));
        byte[] longer = new byte[wire.length + 1];
        System.arraycopy(message(0, ""), 0, longer, 0, wire.length);
        assertTrue(reason(longer).contains("header length 28 differs from datagram length 29"));
    }

    @Test
    void majorVersionOtherThanTwoIsReportedWithTheHeader() {
        byte[] wire = message(PayloadType.NOTIFY, "00000008 00004000".replace(" ", ""));
        wire[17] = 0x10; // IKEv1
        UnsupportedMajorVersionException e = assertThrows(UnsupportedMajorVersionException.class,
                () -> IkeCodec.decode(wire, 0, wire.length));
        assertTrue(e.getMessage().contains("major version 1"), e.getMessage());
        assertEquals(0x1122334455667788L, e.header().initiatorSpi());
        assertEquals(1, e.header().messageId());
        assertEquals(ExchangeType.INFORMATIONAL, e.header().exchangeType());
        wire[17] = 0x30;
        assertThrows(UnsupportedMajorVersionException.class, () -> IkeCodec.peekHeader(wire, 0, wire.length));
    }

    @Test
    void minorVersionIsIgnored() throws Exception {
        byte[] wire = message(PayloadType.NOTIFY, "0000000800004000");
        wire[17] = 0x21;
        assertEquals(1, IkeCodec.decode(wire, 0, wire.length).payloads().size());
        assertEquals(1, IkeCodec.peekHeader(wire, 0, wire.length).minorVersion());
    }

    @Test
    void innerChainFollowsTheSameRules() {
        byte[] chain = HEX.parseHex("00000003");
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> IkeCodec.decodeChain(PayloadType.NOTIFY, chain, 0, chain.length));
        assertTrue(e.getMessage().contains("below 4"), e.getMessage());
        byte[] critical = HEX.parseHex("00800005ff");
        assertEquals(250, assertThrows(UnsupportedCriticalPayloadException.class,
                () -> IkeCodec.decodeChain(250, critical, 0, critical.length)).payloadType());
        assertThrows(MalformedMessageException.class, () -> IkeCodec.decodeChain(PayloadType.NONE, chain, 0, 4));
    }
}
